package io.jtarget.backstore;

/** Completion of one backing-store operation; {@code error} is null on success. */
@FunctionalInterface
public interface IoCallback {
    void complete(Throwable error);
}
