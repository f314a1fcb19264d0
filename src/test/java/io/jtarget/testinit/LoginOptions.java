package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Keys;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the initiator says when it logs in: session type, names, and the operational values it
 * offers (RFC 7143 §13). Fluent and mutable (test code); {@link #copy} before sharing.
 */
public final class LoginOptions {
    public static final String DEFAULT_INITIATOR_NAME = "iqn.2026-01.io.jtarget.test:initiator";

    public enum SessionType { NORMAL, DISCOVERY }

    private SessionType sessionType = SessionType.NORMAL;
    private String initiatorName = DEFAULT_INITIATOR_NAME;
    private String targetName;
    private boolean securityStage = true;
    private String headerDigest = Keys.NONE;
    private String dataDigest = Keys.NONE;
    private int maxRecvDataSegmentLength = 65536;
    private boolean immediateData = true;
    private boolean initialR2T = true;
    private int firstBurstLength = Keys.DEFAULT_FIRST_BURST_LENGTH;
    private int maxBurstLength = Keys.DEFAULT_MAX_BURST_LENGTH;
    private int maxOutstandingR2T = 1;
    private final Map<String, String> extraKeys = new LinkedHashMap<>();
    private final Set<String> omittedKeys = new HashSet<>();
    private byte[] isid = randomIsid();
    private int tsih;
    private int cid;
    private int initialCmdSn = ThreadLocalRandom.current().nextInt();

    /** A normal session to {@code targetName} with RFC defaults for everything else. */
    public static LoginOptions normal(String targetName) {
        LoginOptions o = new LoginOptions();
        o.targetName = targetName;
        return o;
    }

    public static LoginOptions discovery() {
        LoginOptions o = new LoginOptions();
        o.sessionType = SessionType.DISCOVERY;
        return o;
    }

    /**
     * RFC 7143 §11.12.5: ISID type 10b ("random"): 2 bits type, 6 bits reserved, 24-bit random
     * B/C fields, 16-bit qualifier D.
     */
    public static byte[] randomIsid() {
        byte[] isid = new byte[IscsiWire.Login.ISID_LENGTH];
        ThreadLocalRandom.current().nextBytes(isid);
        isid[0] = (byte) 0x80;
        return isid;
    }

    public LoginOptions copy() {
        LoginOptions o = new LoginOptions();
        o.sessionType = sessionType;
        o.initiatorName = initiatorName;
        o.targetName = targetName;
        o.securityStage = securityStage;
        o.headerDigest = headerDigest;
        o.dataDigest = dataDigest;
        o.maxRecvDataSegmentLength = maxRecvDataSegmentLength;
        o.immediateData = immediateData;
        o.initialR2T = initialR2T;
        o.firstBurstLength = firstBurstLength;
        o.maxBurstLength = maxBurstLength;
        o.maxOutstandingR2T = maxOutstandingR2T;
        o.extraKeys.putAll(extraKeys);
        o.omittedKeys.addAll(omittedKeys);
        o.isid = isid.clone();
        o.tsih = tsih;
        o.cid = cid;
        o.initialCmdSn = initialCmdSn;
        return o;
    }

    /** {@code null} leaves InitiatorName out (the target must answer 0x0207, RFC 7143 §11.13.5). */
    public LoginOptions initiatorName(String name) {
        this.initiatorName = name;
        return this;
    }

    public LoginOptions targetName(String name) {
        this.targetName = name;
        return this;
    }

    /** true: security stage (AuthMethod=None) first; false: start in the operational stage. */
    public LoginOptions securityStage(boolean securityStage) {
        this.securityStage = securityStage;
        return this;
    }

    /** Offers header/data digests: {@code "None"}, {@code "CRC32C"} or a list like {@code "CRC32C,None"}. */
    public LoginOptions headerDigest(String offer) {
        this.headerDigest = offer;
        return this;
    }

    public LoginOptions dataDigest(String offer) {
        this.dataDigest = offer;
        return this;
    }

    /** Both digests CRC32C only. */
    public LoginOptions crc32cDigests() {
        return headerDigest(Keys.CRC32C).dataDigest(Keys.CRC32C);
    }

    public LoginOptions maxRecvDataSegmentLength(int length) {
        this.maxRecvDataSegmentLength = length;
        return this;
    }

    public LoginOptions immediateData(boolean immediateData) {
        this.immediateData = immediateData;
        return this;
    }

    public LoginOptions initialR2T(boolean initialR2T) {
        this.initialR2T = initialR2T;
        return this;
    }

    public LoginOptions firstBurstLength(int length) {
        this.firstBurstLength = length;
        return this;
    }

    public LoginOptions maxBurstLength(int length) {
        this.maxBurstLength = length;
        return this;
    }

    public LoginOptions maxOutstandingR2T(int count) {
        this.maxOutstandingR2T = count;
        return this;
    }

    /** Adds (or overrides) a key in the first operational-stage request. */
    public LoginOptions key(String key, String value) {
        extraKeys.put(key, value);
        omittedKeys.remove(key);
        return this;
    }

    /** Leaves a key this class would otherwise send out of the login. */
    public LoginOptions omit(String key) {
        omittedKeys.add(key);
        extraKeys.remove(key);
        return this;
    }

    public LoginOptions isid(byte[] isid) {
        if (isid.length != IscsiWire.Login.ISID_LENGTH) {
            throw new IllegalArgumentException("ISID is 6 bytes");
        }
        this.isid = isid.clone();
        return this;
    }

    /** Non-zero TSIH: add a connection to (or reinstate) an existing session (RFC 7143 §5.3.4). */
    public LoginOptions tsih(int tsih) {
        this.tsih = tsih;
        return this;
    }

    public LoginOptions cid(int cid) {
        this.cid = cid;
        return this;
    }

    /** CmdSN carried in the login requests; the first command uses it (RFC 7143 §4.2.2.1). */
    public LoginOptions initialCmdSn(int cmdSn) {
        this.initialCmdSn = cmdSn;
        return this;
    }

    public SessionType sessionType() {
        return sessionType;
    }

    public String initiatorName() {
        return initiatorName;
    }

    public String targetName() {
        return targetName;
    }

    public boolean securityStage() {
        return securityStage;
    }

    public int maxRecvDataSegmentLength() {
        return maxRecvDataSegmentLength;
    }

    public byte[] isid() {
        return isid.clone();
    }

    public int tsih() {
        return tsih;
    }

    public int cid() {
        return cid;
    }

    public int initialCmdSn() {
        return initialCmdSn;
    }

    /** Keys that name the session: sent in the first request (RFC 7143 §5.3.1). */
    TextParameters leadingKeys() {
        TextParameters p = new TextParameters();
        put(p, Keys.INITIATOR_NAME, initiatorName);
        put(p, Keys.SESSION_TYPE, sessionType == SessionType.DISCOVERY ? Keys.DISCOVERY : Keys.NORMAL);
        if (sessionType == SessionType.NORMAL) {
            put(p, Keys.TARGET_NAME, targetName);
        }
        return p;
    }

    TextParameters securityKeys() {
        TextParameters p = new TextParameters();
        put(p, Keys.AUTH_METHOD, Keys.NONE);
        return p;
    }

    /** Operational keys (RFC 7143 §13); a discovery session offers only what applies to it. */
    TextParameters operationalKeys() {
        TextParameters p = new TextParameters();
        put(p, Keys.HEADER_DIGEST, headerDigest);
        put(p, Keys.DATA_DIGEST, dataDigest);
        put(p, Keys.MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(maxRecvDataSegmentLength));
        if (sessionType == SessionType.NORMAL) {
            put(p, Keys.INITIAL_R2T, yesNo(initialR2T));
            put(p, Keys.IMMEDIATE_DATA, yesNo(immediateData));
            put(p, Keys.MAX_BURST_LENGTH, Integer.toString(maxBurstLength));
            put(p, Keys.FIRST_BURST_LENGTH, Integer.toString(firstBurstLength));
            put(p, Keys.MAX_OUTSTANDING_R2T, Integer.toString(maxOutstandingR2T));
            put(p, Keys.MAX_CONNECTIONS, "1");
            put(p, Keys.DATA_PDU_IN_ORDER, Keys.YES);
            put(p, Keys.DATA_SEQUENCE_IN_ORDER, Keys.YES);
            put(p, Keys.ERROR_RECOVERY_LEVEL, "0");
            put(p, Keys.DEFAULT_TIME_2_WAIT, "2");
            put(p, Keys.DEFAULT_TIME_2_RETAIN, "0");
        }
        for (Map.Entry<String, String> e : extraKeys.entrySet()) {
            if (!p.contains(e.getKey()) && !isLeading(e.getKey())) {
                p.add(e.getKey(), e.getValue());
            }
        }
        return p;
    }

    private void put(TextParameters p, String key, String value) {
        if (omittedKeys.contains(key)) {
            return;
        }
        String v = extraKeys.getOrDefault(key, value);
        if (v != null) {
            p.add(key, v);
        }
    }

    private static boolean isLeading(String key) {
        return key.equals(Keys.INITIATOR_NAME) || key.equals(Keys.SESSION_TYPE) || key.equals(Keys.TARGET_NAME)
                || key.equals(Keys.AUTH_METHOD);
    }

    static String yesNo(boolean b) {
        return b ? Keys.YES : Keys.NO;
    }
}
