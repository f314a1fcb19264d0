package io.jtarget.iscsi.login;

/** Which side may originate a key (RFC 7143 §13: "Senders"). */
public enum KeySender {
    INITIATOR,
    TARGET,
    BOTH;

    boolean initiatorMaySend() {
        return this != TARGET;
    }
}
