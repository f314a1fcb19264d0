package io.jtarget.testinit;

import java.io.IOException;

/** The target sent something RFC 7143 (or SAM/SPC) does not allow. The message says what and where. */
public class ProtocolViolationException extends IOException {
    public ProtocolViolationException(String message) {
        super(message);
    }
}
