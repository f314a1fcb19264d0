package io.jtarget.backstore;

import java.io.IOException;

/** Delivered to an {@link IoCallback} when the device was closed before or while the request ran. */
public final class DeviceClosedException extends IOException {
    private static final long serialVersionUID = 1L;

    public DeviceClosedException(String device) {
        super("block device closed: " + device);
    }
}
