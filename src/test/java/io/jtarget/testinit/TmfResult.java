package io.jtarget.testinit;

/** A Task Management Function Response (RFC 7143 §11.6). */
public record TmfResult(int response, Pdu pdu) {
    public boolean isFunctionComplete() {
        return response == IscsiWire.TaskManagement.FUNCTION_COMPLETE;
    }
}
