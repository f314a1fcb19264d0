package io.jtarget.scsi;

/**
 * The fabric callback for command completion. Called exactly once per submitted command,
 * on any thread (inline on the submitting thread, or on a backend thread): the fabric hops
 * back to its own event loop.
 */
@FunctionalInterface
public interface ScsiCompletion {
    void complete(ScsiResponse response);
}
