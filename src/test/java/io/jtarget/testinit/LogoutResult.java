package io.jtarget.testinit;

/** A Logout Response (RFC 7143 §11.15). */
public record LogoutResult(int response, int time2Wait, int time2Retain) {}
