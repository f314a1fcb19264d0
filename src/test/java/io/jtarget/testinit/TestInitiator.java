package io.jtarget.testinit;

import io.jtarget.testinit.IscsiWire.Bhs;
import io.jtarget.testinit.IscsiWire.Keys;
import io.jtarget.testinit.IscsiWire.Login;
import io.jtarget.testinit.IscsiWire.Logout;
import io.jtarget.testinit.IscsiWire.Opcode;
import io.jtarget.testinit.IscsiWire.SenseKey;
import io.jtarget.testinit.IscsiWire.TaskManagement;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small blocking iSCSI initiator for tests, written from RFC 7143 independently of the server.
 *
 * <p>One thread drives it. Every call that waits reads PDUs from the socket and dispatches them:
 * Data-In and R2T go to their {@link ScsiTask} (R2Ts are answered at once), other responses are
 * kept by Initiator Task Tag until asked for, target pings (NOP-In with a Target Transfer Tag)
 * are answered. Every received PDU is checked: digests, data segment size, StatSN sequence,
 * ExpCmdSN/MaxCmdSN sanity, per-task DataSN/offset/R2TSN order and residuals. A violation
 * throws {@link ProtocolViolationException}; silence longer than the timeout throws
 * {@link TargetTimeoutException}.
 *
 * <p>Raw access ({@link #sendRaw}, {@link #sendPdu}, {@link #receivePdu}) lets tests feed the
 * target malformed input.
 */
public final class TestInitiator implements AutoCloseable {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_LOGIN_EXCHANGES = 16;
    private static final Duration WINDOW_POLL_SLICE = Duration.ofMillis(50);

    /** Connection/session phase from this initiator's point of view (RFC 7143 §5, §8.1). */
    public enum Phase { CONNECTED, LOGIN, FULL_FEATURE, LOGGED_OUT, FAILED }

    private final PduChannel channel;
    private final Duration timeout;
    private Phase phase = Phase.CONNECTED;
    private LoginOptions loginOptions;
    private SessionParameters params;
    private int tsih;

    private int cmdSn;
    private int expCmdSn;
    private int maxCmdSn;
    private int expStatSn;
    private boolean statSnKnown;
    private int nextItt = 1;

    private final Map<Integer, ScsiTask> tasks = new HashMap<>();
    private final Map<Integer, Pdu> responses = new HashMap<>();
    private final Map<Integer, Pdu> rejectsByItt = new HashMap<>();
    private int targetPingsAnswered;
    private final Map<Integer, Integer> blockSizes = new HashMap<>();

    private TestInitiator(Socket socket, Duration timeout) throws IOException {
        this.timeout = timeout;
        this.channel = new PduChannel(socket, timeout);
    }

    public static TestInitiator connect(InetSocketAddress portal) throws IOException {
        return connect(portal, DEFAULT_TIMEOUT);
    }

    /** Opens the TCP connection; {@code timeout} bounds the connect and every later wait. */
    public static TestInitiator connect(InetSocketAddress portal, Duration timeout) throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(portal, Math.toIntExact(timeout.toMillis()));
            return new TestInitiator(socket, timeout);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public static TestInitiator login(InetSocketAddress portal, LoginOptions options) throws IOException {
        TestInitiator initiator = connect(portal);
        try {
            initiator.login(options);
            return initiator;
        } catch (IOException | RuntimeException e) {
            initiator.close();
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Login (RFC 7143 §6, §11.12, §11.13)

    /**
     * Runs the login phase: the security stage with AuthMethod=None first when the options say
     * so, then the operational stage, until the target moves to full feature phase.
     *
     * @throws LoginRejectedException when the target answers with a non-zero Status-Class
     */
    public SessionParameters login(LoginOptions options) throws IOException {
        if (phase != Phase.CONNECTED) {
            throw new IllegalStateException("login on a connection in phase " + phase);
        }
        phase = Phase.LOGIN;
        loginOptions = options.copy();
        cmdSn = options.initialCmdSn();
        Negotiation negotiation = new Negotiation();
        int itt = newItt();
        int stage = options.securityStage() ? Login.STAGE_SECURITY : Login.STAGE_OPERATIONAL;
        boolean operationalOffered = !options.securityStage();
        TextParameters keys = new TextParameters().addAll(options.leadingKeys())
                .addAll(options.securityStage() ? options.securityKeys() : options.operationalKeys());
        boolean transit = true;
        try {
            for (int exchange = 0; exchange < MAX_LOGIN_EXCHANGES; exchange++) {
                int nextStage = stage == Login.STAGE_SECURITY ? Login.STAGE_OPERATIONAL : Login.STAGE_FULL_FEATURE;
                negotiation.offered(keys);
                LoginExchange reply = loginExchange(itt, stage, nextStage, transit, keys.encode());
                TextParameters owed = negotiation.received(TextParameters.decode(reply.text));
                if (reply.transit) {
                    stage = reply.nextStage;
                    if (stage == Login.STAGE_FULL_FEATURE) {
                        if (!owed.isEmpty()) {
                            throw new ProtocolViolationException("target went to full feature phase with its own offers "
                                    + owed + " unanswered (RFC 7143 §6.2)");
                        }
                        enterFullFeaturePhase(negotiation.result(options), reply.last);
                        return params;
                    }
                    keys = owed;
                    if (stage == Login.STAGE_OPERATIONAL && !operationalOffered) {
                        keys = new TextParameters().addAll(options.operationalKeys()).addAll(owed);
                        operationalOffered = true;
                    }
                } else {
                    keys = owed;
                }
                transit = true;
            }
            throw new ProtocolViolationException("login did not finish within " + MAX_LOGIN_EXCHANGES + " exchanges");
        } catch (IOException | RuntimeException e) {
            phase = Phase.FAILED;
            throw e;
        }
    }

    private record LoginExchange(byte[] text, boolean transit, int nextStage, Pdu last) {}

    /** Sends one Login Request and gathers the (possibly continued, §11.13.3 C bit) response text. */
    private LoginExchange loginExchange(int itt, int stage, int nextStage, boolean transit, byte[] text)
            throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] toSend = text;
        boolean sendTransit = transit;
        while (true) {
            channel.write(loginRequest(itt, stage, nextStage, sendTransit, toSend));
            Pdu response = channel.read();
            checkLoginResponse(response, itt, stage, sendTransit);
            answer.writeBytes(response.data());
            if (!response.flag(Login.FLAG_CONTINUE)) {
                boolean responseTransit = response.flag(Login.FLAG_TRANSIT);
                return new LoginExchange(answer.toByteArray(), responseTransit,
                        response.flags() & Login.STAGE_MASK, response);
            }
            // §11.13.3: more text follows; acknowledge with an empty request, T=0 (§11.12.2).
            toSend = new byte[0];
            sendTransit = false;
        }
    }

    private Pdu loginRequest(int itt, int stage, int nextStage, boolean transit, byte[] text) {
        int flags = (stage << Login.CSG_SHIFT) | (transit ? Login.FLAG_TRANSIT | nextStage : 0);
        Pdu pdu = Pdu.create(Opcode.LOGIN_REQUEST).immediate(true).flags(flags)
                .byteAt(Login.VERSION_MAX, Login.VERSION).byteAt(Login.VERSION_MIN, Login.VERSION)
                .shortAt(Login.TSIH, loginOptions.tsih())
                .itt(itt)
                .shortAt(Login.CID, loginOptions.cid())
                .cmdSn(cmdSn)
                .expStatSn(statSnKnown ? expStatSn : 0)
                .data(text);
        System.arraycopy(loginOptions.isid(), 0, pdu.bhs(), Login.ISID, Login.ISID_LENGTH);
        return pdu;
    }

    private void checkLoginResponse(Pdu response, int itt, int stage, boolean requestedTransit) throws IOException {
        if (response.opcode() != Opcode.LOGIN_RESPONSE) {
            throw new ProtocolViolationException("expected a Login Response during login, got " + response);
        }
        if (response.itt() != itt) {
            throw new ProtocolViolationException(String.format(
                    "Login Response ITT 0x%08x does not echo the request's 0x%08x (RFC 7143 §11.13)", response.itt(), itt));
        }
        int statusClass = response.byteAt(Login.STATUS_CLASS);
        int statusDetail = response.byteAt(Login.STATUS_DETAIL);
        if (statusClass != Login.CLASS_SUCCESS) {
            Map<String, List<String>> keys = Map.of();
            try {
                keys = TextParameters.decode(response.data()).asMultiMap();
            } catch (ProtocolViolationException ignored) {
                // The status is what matters; the keys are informational.
            }
            throw new LoginRejectedException(statusClass, statusDetail, keys);
        }
        if (!Arrays.equals(Arrays.copyOfRange(response.bhs(), Login.ISID, Login.ISID + Login.ISID_LENGTH),
                loginOptions.isid())) {
            throw new ProtocolViolationException("Login Response ISID does not echo ours (RFC 7143 §11.13)");
        }
        if (response.byteAt(Login.VERSION_ACTIVE) != Login.VERSION || response.byteAt(Login.VERSION_MAX) != Login.VERSION) {
            throw new ProtocolViolationException("Login Response Version-max/active not 0x00 (RFC 7143 §11.13.1/2)");
        }
        boolean transit = response.flag(Login.FLAG_TRANSIT);
        boolean cont = response.flag(Login.FLAG_CONTINUE);
        if (transit && cont) {
            throw new ProtocolViolationException("Login Response with both T and C set (RFC 7143 §11.13.3)");
        }
        if (transit && !requestedTransit) {
            throw new ProtocolViolationException("Login Response sets T although the request did not (RFC 7143 §11.13.3)");
        }
        int csg = (response.flags() >> Login.CSG_SHIFT) & Login.STAGE_MASK;
        if (csg != stage) {
            throw new ProtocolViolationException("Login Response CSG " + csg + " differs from the request's " + stage
                    + " (RFC 7143 §11.13)");
        }
        int nsg = response.flags() & Login.STAGE_MASK;
        if (transit && (nsg <= stage || nsg == 2)) {
            throw new ProtocolViolationException("Login Response moves from stage " + stage + " to invalid NSG " + nsg
                    + " (RFC 7143 §11.12.3)");
        }
        // §11.13.4: the first response starts the StatSN sequence; later ones continue it.
        if (!statSnKnown) {
            statSnKnown = true;
            expStatSn = response.statSn() + 1;
            expCmdSn = response.expCmdSn();
            maxCmdSn = response.maxCmdSn();
        } else {
            checkAndAdvanceStatSn(response, true);
            updateWindow(response);
        }
        if (transit && nsg == Login.STAGE_FULL_FEATURE) {
            tsih = response.shortAt(Login.TSIH);
            if (tsih == 0) {
                throw new ProtocolViolationException("final Login Response carries TSIH 0 (RFC 7143 §11.13.4)");
            }
            if (loginOptions.tsih() != 0 && tsih != loginOptions.tsih()) {
                throw new ProtocolViolationException("final Login Response TSIH " + tsih + " differs from ours "
                        + loginOptions.tsih());
            }
            if (response.expCmdSn() != cmdSn) {
                throw new ProtocolViolationException("final Login Response ExpCmdSN " + SerialNumbers.str(response.expCmdSn())
                        + " is not the login's CmdSN " + SerialNumbers.str(cmdSn) + " (RFC 7143 §11.12.8)");
            }
        }
    }

    private void enterFullFeaturePhase(SessionParameters negotiated, Pdu lastResponse) {
        params = negotiated;
        expCmdSn = lastResponse.expCmdSn();
        maxCmdSn = lastResponse.maxCmdSn();
        channel.useDigests(negotiated.headerDigest(), negotiated.dataDigest());
        channel.maxReceiveDataSegmentLength(negotiated.initiatorMaxRecvDataSegmentLength());
        phase = Phase.FULL_FEATURE;
    }

    // ------------------------------------------------------------------------------------------
    // Receiving and dispatching

    /**
     * Reads and dispatches one PDU; target pings are answered and not returned.
     *
     * @return the PDU, or empty if none started within {@code wait}
     */
    public Optional<Pdu> pollPdu(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long left = Math.max(0, deadline - System.nanoTime());
            Optional<Pdu> next = channel.poll(Duration.ofNanos(left));
            if (next.isEmpty()) {
                return next;
            }
            Pdu pdu = next.get();
            if (!dispatch(pdu)) {
                return next;
            }
            if (System.nanoTime() >= deadline) {
                return Optional.empty();
            }
        }
    }

    /** The next PDU after checking and dispatching it (target pings are answered and skipped). */
    public Pdu receivePdu() throws IOException {
        return pollPdu(timeout).orElseThrow(() -> new TargetTimeoutException(
                "no PDU from the target within " + timeout.toMillis() + " ms"));
    }

    /** @return true when the PDU was a target ping that has been answered (and is of no further interest) */
    private boolean dispatch(Pdu pdu) throws IOException {
        checkSequenceNumbers(pdu);
        switch (pdu.opcode()) {
            case Opcode.NOP_IN -> {
                if (pdu.itt() == IscsiWire.RESERVED_TAG) {
                    answerTargetPing(pdu);
                    return true;
                }
                responses.put(pdu.itt(), pdu);
            }
            case Opcode.DATA_IN -> taskFor(pdu).onDataIn(pdu);
            case Opcode.R2T -> {
                for (Pdu out : taskFor(pdu).onR2t(pdu)) {
                    channel.write(out.expStatSn(expStatSn));
                }
            }
            case Opcode.SCSI_RESPONSE -> taskFor(pdu).onResponse(pdu);
            case Opcode.TASK_MGMT_RESPONSE, Opcode.TEXT_RESPONSE, Opcode.LOGOUT_RESPONSE -> {
                if (responses.putIfAbsent(pdu.itt(), pdu) != null) {
                    throw new ProtocolViolationException("second response for ITT " + Integer.toHexString(pdu.itt()));
                }
            }
            case Opcode.REJECT -> onReject(pdu);
            case Opcode.ASYNC_MESSAGE -> { } // sequence numbers checked above; no test waits for one
            default -> throw new ProtocolViolationException("target sent " + Opcode.name(pdu.opcode())
                    + ", not a target opcode (RFC 7143 §11.2.1.2): " + pdu);
        }
        return false;
    }

    private ScsiTask taskFor(Pdu pdu) throws ProtocolViolationException {
        ScsiTask task = tasks.get(pdu.itt());
        if (task == null) {
            throw new ProtocolViolationException(Opcode.name(pdu.opcode()) + " for unknown ITT 0x"
                    + Integer.toHexString(pdu.itt()) + ": " + pdu);
        }
        return task;
    }

    /** RFC 7143 §11.19: a NOP-In with a valid TTT asks for a NOP-Out carrying that TTT, ITT 0xffffffff. */
    private void answerTargetPing(Pdu nopIn) throws IOException {
        if (nopIn.data().length != 0) {
            throw new ProtocolViolationException("unsolicited NOP-In with data (RFC 7143 §11.19.2: DataSegmentLength MUST be 0)");
        }
        if (nopIn.ttt() == IscsiWire.RESERVED_TAG) {
            return; // a one-way NOP-In just refreshes ExpCmdSN/MaxCmdSN
        }
        targetPingsAnswered++;
        channel.write(Pdu.create(Opcode.NOP_OUT).immediate(true).flags(Bhs.FINAL_FLAG)
                .lunField(nopIn.lunField())
                .itt(IscsiWire.RESERVED_TAG)
                .ttt(nopIn.ttt())
                .cmdSn(cmdSn)
                .expStatSn(expStatSn));
    }

    private void onReject(Pdu reject) throws IOException {
        if (reject.itt() != IscsiWire.RESERVED_TAG) {
            throw new ProtocolViolationException("Reject with ITT other than 0xffffffff (RFC 7143 §11.17)");
        }
        if (reject.data().length < IscsiWire.BHS_LENGTH) {
            throw new ProtocolViolationException("Reject without the complete header of the rejected PDU (RFC 7143 §11.17.1)");
        }
        int rejectedItt = Bytes.getInt(reject.data(), Bhs.ITT);
        rejectsByItt.put(rejectedItt, reject);
        ScsiTask task = tasks.get(rejectedItt);
        int rejectedOpcode = reject.data()[0] & Opcode.MASK;
        if (task != null && !task.isDone() && rejectedOpcode == Opcode.SCSI_COMMAND) {
            task.onReject(reject);
        }
    }

    /**
     * StatSN must be the next in sequence on every PDU that carries one (RFC 7143 §4.2.2.2); it is
     * not advanced by R2T, by Data-In without status and by NOP-In with ITT 0xffffffff.
     */
    private void checkSequenceNumbers(Pdu pdu) throws ProtocolViolationException {
        int opcode = pdu.opcode();
        boolean carriesStatSn;
        boolean advances;
        switch (opcode) {
            case Opcode.NOP_IN -> {
                carriesStatSn = true;
                advances = pdu.itt() != IscsiWire.RESERVED_TAG;
            }
            case Opcode.DATA_IN -> {
                carriesStatSn = pdu.flag(IscsiWire.Data.FLAG_STATUS);
                advances = carriesStatSn;
            }
            case Opcode.R2T -> {
                carriesStatSn = true;
                advances = false;
            }
            case Opcode.SCSI_RESPONSE, Opcode.TASK_MGMT_RESPONSE, Opcode.TEXT_RESPONSE, Opcode.LOGOUT_RESPONSE,
                    Opcode.REJECT, Opcode.ASYNC_MESSAGE -> {
                carriesStatSn = true;
                advances = true;
            }
            default -> {
                return; // reported by dispatch
            }
        }
        if (carriesStatSn) {
            checkAndAdvanceStatSn(pdu, advances);
        }
        updateWindow(pdu);
    }

    private void checkAndAdvanceStatSn(Pdu pdu, boolean advances) throws ProtocolViolationException {
        if (pdu.statSn() != expStatSn) {
            throw new ProtocolViolationException(Opcode.name(pdu.opcode()) + " carries StatSN "
                    + SerialNumbers.str(pdu.statSn()) + ", expected " + SerialNumbers.str(expStatSn)
                    + " (RFC 7143 §4.2.2.2: StatSN increases by one per status PDU): " + pdu);
        }
        if (advances) {
            expStatSn++;
        }
    }

    /**
     * RFC 7143 §4.2.2.1: the target never sends MaxCmdSN < ExpCmdSN - 1, never expects a CmdSN we
     * have not used yet, and (on one connection) never moves ExpCmdSN or MaxCmdSN backwards.
     */
    private void updateWindow(Pdu pdu) throws ProtocolViolationException {
        int exp = pdu.expCmdSn();
        int max = pdu.maxCmdSn();
        if (SerialNumbers.lessThan(max, exp - 1)) {
            throw new ProtocolViolationException("MaxCmdSN " + SerialNumbers.str(max) + " < ExpCmdSN - 1 ("
                    + SerialNumbers.str(exp) + ") (RFC 7143 §4.2.2.1): " + pdu);
        }
        if (SerialNumbers.greaterThan(exp, cmdSn)) {
            throw new ProtocolViolationException("ExpCmdSN " + SerialNumbers.str(exp)
                    + " is beyond the next CmdSN we would send, " + SerialNumbers.str(cmdSn) + ": " + pdu);
        }
        if (SerialNumbers.lessThan(exp, expCmdSn)) {
            throw new ProtocolViolationException("ExpCmdSN went backwards from " + SerialNumbers.str(expCmdSn)
                    + " to " + SerialNumbers.str(exp) + " on a single connection: " + pdu);
        }
        if (SerialNumbers.lessThan(max, maxCmdSn)) {
            throw new ProtocolViolationException("MaxCmdSN went backwards from " + SerialNumbers.str(maxCmdSn)
                    + " to " + SerialNumbers.str(max) + " on a single connection: " + pdu);
        }
        expCmdSn = exp;
        maxCmdSn = max;
    }

    /** Waits for the response PDU (by ITT) of a NOP-Out, TMF, Text or Logout request. */
    private Pdu awaitResponse(int itt, String what) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Pdu response = responses.remove(itt);
            if (response != null) {
                return response;
            }
            Pdu reject = rejectsByItt.remove(itt);
            if (reject != null) {
                throw new PduRejectedException(reject);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TargetTimeoutException("no response to " + what + " within " + timeout.toMillis() + " ms");
            }
            pollPdu(Duration.ofNanos(left));
        }
    }

    // ------------------------------------------------------------------------------------------
    // SCSI commands

    /** Sends a command (and its immediate/unsolicited data); waits first if the CmdSN window is closed. */
    public ScsiTask submit(ScsiRequest request) throws IOException {
        requireFullFeature();
        if (!request.immediate()) {
            awaitCommandWindow();
        }
        int sn = cmdSn;
        if (!request.immediate()) {
            cmdSn++;
        }
        return send(request, sn);
    }

    /**
     * Sends a command with a CmdSN of the caller's choosing, ignoring the window and leaving this
     * initiator's CmdSN counter alone (for tests of the target's CmdSN checks).
     */
    public ScsiTask submitWithCmdSn(ScsiRequest request, int forcedCmdSn) throws IOException {
        requireFullFeature();
        return send(request, forcedCmdSn);
    }

    private ScsiTask send(ScsiRequest request, int sn) throws IOException {
        ScsiTask task = new ScsiTask(request, newItt(), sn, params);
        tasks.put(task.itt(), task);
        for (Pdu pdu : task.commandPdus()) {
            channel.write(pdu.expStatSn(expStatSn));
        }
        return task;
    }

    /** Waits until the task completes; its outcome. */
    public ScsiResult await(ScsiTask task) throws IOException {
        if (!awaitDone(task, timeout)) {
            throw new TargetTimeoutException(String.format("no status for task itt=0x%08x (CDB op 0x%02x) within %d ms",
                    task.itt(), task.request().cdb()[0] & 0xFF, timeout.toMillis()));
        }
        if (task.isAborted()) {
            throw new IllegalStateException("task was aborted by a task management function");
        }
        if (task.rejection() != null) {
            throw task.rejection();
        }
        tasks.remove(task.itt());
        return task.result();
    }

    /**
     * Pumps PDUs until the task is done or {@code quiet} passes without any PDU that made progress
     * (target pings don't count).
     *
     * @return whether the task is done
     */
    public boolean awaitDone(ScsiTask task, Duration quiet) throws IOException {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (!task.isDone()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            if (pollPdu(Duration.ofNanos(left)).isPresent()) {
                deadline = System.nanoTime() + quiet.toNanos();
            }
        }
        return true;
    }

    public ScsiResult execute(ScsiRequest request) throws IOException {
        return await(submit(request));
    }

    private void awaitCommandWindow() throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (SerialNumbers.greaterThan(cmdSn, maxCmdSn)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new TargetTimeoutException("CmdSN window stayed closed for " + timeout.toMillis()
                        + " ms (CmdSN " + SerialNumbers.str(cmdSn) + ", MaxCmdSN " + SerialNumbers.str(maxCmdSn) + ")");
            }
            // Short slices: a one-way NOP-In that opens the window is consumed inside pollPdu, which
            // does not return for it, so a long poll would sit out the whole wait on an open window.
            pollPdu(Duration.ofNanos(Math.min(left, WINDOW_POLL_SLICE.toNanos())));
        }
    }

    // ------------------------------------------------------------------------------------------
    // NOP, task management, text, logout

    /** An immediate NOP-Out ping with a valid ITT; the NOP-In must echo the data (RFC 7143 §11.18, §11.19). */
    public Pdu ping(byte[] data) throws IOException {
        return ping(data, true);
    }

    public Pdu ping() throws IOException {
        return ping(new byte[0], true);
    }

    public Pdu ping(byte[] data, boolean immediate) throws IOException {
        requireFullFeature();
        if (!immediate) {
            awaitCommandWindow();
        }
        int itt = newItt();
        channel.write(Pdu.create(Opcode.NOP_OUT).immediate(immediate).flags(Bhs.FINAL_FLAG)
                .itt(itt).ttt(IscsiWire.RESERVED_TAG).cmdSn(immediate ? cmdSn : cmdSn++).expStatSn(expStatSn).data(data));
        Pdu nopIn = awaitResponse(itt, "NOP-Out ping");
        if (nopIn.ttt() != IscsiWire.RESERVED_TAG) {
            throw new ProtocolViolationException("NOP-In answering a ping must carry TTT 0xffffffff (RFC 7143 §11.19.2)");
        }
        int echoed = Math.min(data.length, params.initiatorMaxRecvDataSegmentLength());
        if (!Arrays.equals(nopIn.data(), Arrays.copyOf(data, echoed))) {
            throw new ProtocolViolationException("NOP-In does not echo the ping data (RFC 7143 §11.18.4): sent "
                    + data.length + " bytes, got " + nopIn.data().length);
        }
        return nopIn;
    }

    /**
     * Sends an immediate Task Management Function Request and waits for its response (RFC 7143
     * §11.5, §11.6). On "function complete" the affected outstanding tasks are marked aborted.
     */
    public TmfResult taskManagement(int function, int lun, int referencedTaskTag, int refCmdSn) throws IOException {
        requireFullFeature();
        int itt = newItt();
        channel.write(Pdu.create(Opcode.TASK_MGMT_REQUEST).immediate(true)
                .flags(Bhs.FINAL_FLAG | (function & TaskManagement.FUNCTION_MASK))
                .lunField(Luns.encode(lun))
                .itt(itt)
                .intAt(TaskManagement.REFERENCED_TASK_TAG, referencedTaskTag)
                .cmdSn(cmdSn)
                .expStatSn(expStatSn)
                .intAt(TaskManagement.REF_CMD_SN, refCmdSn));
        Pdu response = awaitResponse(itt, "task management function " + function);
        TmfResult result = new TmfResult(response.byteAt(TaskManagement.RESPONSE), response);
        if (result.isFunctionComplete()) {
            for (ScsiTask task : tasks.values()) {
                boolean affected = switch (function) {
                    case TaskManagement.ABORT_TASK -> task.itt() == referencedTaskTag;
                    case TaskManagement.ABORT_TASK_SET, TaskManagement.CLEAR_TASK_SET,
                            TaskManagement.LOGICAL_UNIT_RESET -> task.lun() == lun;
                    case TaskManagement.TARGET_WARM_RESET, TaskManagement.TARGET_COLD_RESET -> true;
                    default -> false;
                };
                if (affected && !task.isDone()) {
                    task.markAborted();
                }
            }
        }
        return result;
    }

    public TmfResult abortTask(ScsiTask task) throws IOException {
        return taskManagement(TaskManagement.ABORT_TASK, task.lun(), task.itt(), task.cmdSn());
    }

    public TmfResult lunReset(int lun) throws IOException {
        return taskManagement(TaskManagement.LOGICAL_UNIT_RESET, lun, IscsiWire.RESERVED_TAG, cmdSn);
    }

    /**
     * A Text Request exchange (RFC 7143 §11.10/§11.11), following continued responses (C bit) with
     * empty requests carrying the target's TTT until F.
     */
    public TextParameters textRequest(TextParameters request) throws IOException {
        requireFullFeature();
        int itt = newItt();
        int ttt = IscsiWire.RESERVED_TAG;
        byte[] payload = request.encode();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        for (int round = 0; round < 1024; round++) {
            awaitCommandWindow();
            channel.write(Pdu.create(Opcode.TEXT_REQUEST).flags(Bhs.FINAL_FLAG)
                    .lunField(0).itt(itt).ttt(ttt).cmdSn(cmdSn++).expStatSn(expStatSn).data(payload));
            Pdu response = awaitResponse(itt, "Text Request");
            boolean fin = response.isFinal();
            boolean cont = response.flag(IscsiWire.Text.FLAG_CONTINUE);
            if (fin && cont) {
                throw new ProtocolViolationException("Text Response with both F and C (RFC 7143 §11.11.2)");
            }
            answer.writeBytes(response.data());
            if (fin) {
                if (response.ttt() != IscsiWire.RESERVED_TAG) {
                    throw new ProtocolViolationException("final Text Response must carry TTT 0xffffffff (RFC 7143 §11.11.4)");
                }
                return TextParameters.decode(answer.toByteArray());
            }
            if (response.ttt() == IscsiWire.RESERVED_TAG) {
                throw new ProtocolViolationException("non-final Text Response without a TTT (RFC 7143 §11.11.4)");
            }
            ttt = response.ttt();
            payload = new byte[0];
        }
        throw new ProtocolViolationException("Text Response never finished");
    }

    /** SendTargets (RFC 7143 Appendix C): {@code "All"} in a discovery session, or a target name. */
    public List<DiscoveredTarget> sendTargets(String what) throws IOException {
        TextParameters answer = textRequest(new TextParameters().add(Keys.SEND_TARGETS, what));
        List<DiscoveredTarget> targets = new ArrayList<>();
        String name = null;
        List<String> addresses = new ArrayList<>();
        for (Map.Entry<String, String> e : answer.entries()) {
            switch (e.getKey()) {
                case Keys.TARGET_NAME -> {
                    if (name != null) {
                        targets.add(new DiscoveredTarget(name, List.copyOf(addresses)));
                    }
                    name = e.getValue();
                    addresses.clear();
                }
                case Keys.TARGET_ADDRESS -> {
                    if (name == null) {
                        throw new ProtocolViolationException("TargetAddress before any TargetName in SendTargets answer");
                    }
                    addresses.add(e.getValue());
                }
                default -> throw new ProtocolViolationException("unexpected key " + e.getKey()
                        + " in a SendTargets answer (RFC 7143 Appendix C)");
            }
        }
        if (name != null) {
            targets.add(new DiscoveredTarget(name, List.copyOf(addresses)));
        }
        return targets;
    }

    /** Logout with the given reason code (RFC 7143 §11.14); the target then closes the connection. */
    public LogoutResult logout(int reason) throws IOException {
        requireFullFeature();
        int itt = newItt();
        channel.write(Pdu.create(Opcode.LOGOUT_REQUEST).immediate(true)
                .flags(Bhs.FINAL_FLAG | (reason & Logout.REASON_MASK))
                .itt(itt)
                .shortAt(Logout.CID, loginOptions.cid())
                .cmdSn(cmdSn)
                .expStatSn(expStatSn));
        Pdu response = awaitResponse(itt, "Logout Request");
        phase = Phase.LOGGED_OUT;
        return new LogoutResult(response.byteAt(Logout.RESPONSE), response.shortAt(Logout.TIME_TO_WAIT),
                response.shortAt(Logout.TIME_TO_RETAIN));
    }

    public LogoutResult logout() throws IOException {
        return logout(Logout.CLOSE_SESSION);
    }

    /** True when the target closes the connection within {@code wait}. */
    public boolean awaitClosedByTarget(Duration wait) throws IOException {
        return channel.awaitClose(wait);
    }

    // ------------------------------------------------------------------------------------------
    // Raw access

    /** Sends a PDU as built (digests are added when negotiated). */
    public void sendPdu(Pdu pdu) throws IOException {
        channel.write(pdu);
    }

    /** Sends bytes as they are, no framing. */
    public void sendRaw(byte[] bytes) throws IOException {
        channel.writeRaw(bytes);
    }

    /**
     * The next PDU exactly as framed (digests still verified), without StatSN/window checks,
     * dispatch or ping answering: for tests that inspect a target's answer to malformed input.
     * Sequence tracking is not updated, so follow it with {@link #close}, not with more commands.
     */
    public Pdu receiveRawPdu() throws IOException {
        return channel.read();
    }

    public int newItt() {
        int itt = nextItt++;
        if (nextItt == IscsiWire.RESERVED_TAG) {
            nextItt = 1;
        }
        return itt;
    }

    /** Uses up the next CmdSN for a hand-built non-immediate PDU. */
    public int takeCmdSn() {
        return cmdSn++;
    }

    /** The CmdSN the next non-immediate command will carry. */
    public int nextCmdSn() {
        return cmdSn;
    }

    public int expCmdSn() {
        return expCmdSn;
    }

    public int maxCmdSn() {
        return maxCmdSn;
    }

    public int expStatSn() {
        return expStatSn;
    }

    public SessionParameters negotiated() {
        return params;
    }

    public int tsih() {
        return tsih;
    }

    public Phase phase() {
        return phase;
    }

    public int targetPingsAnswered() {
        return targetPingsAnswered;
    }

    private void requireFullFeature() {
        if (phase != Phase.FULL_FEATURE) {
            throw new IllegalStateException("not in full feature phase: " + phase);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    // ------------------------------------------------------------------------------------------
    // SCSI conveniences

    public ScsiResult testUnitReady(int lun) throws IOException {
        return execute(ScsiRequest.noData(lun, Cdbs.testUnitReady()));
    }

    /** Standard INQUIRY data (SPC-5 §6.7.2). */
    public ScsiResult inquiry(int lun) throws IOException {
        return execute(ScsiRequest.read(lun, Cdbs.inquiry(false, 0, 255), 255));
    }

    public ScsiResult readCapacity16(int lun) throws IOException {
        ScsiResult r = execute(ScsiRequest.read(lun, Cdbs.readCapacity16(32), 32));
        if (r.isGood()) {
            blockSizes.put(lun, Capacity.fromReadCapacity16(r.data()).blockSize());
        }
        return r;
    }

    /** READ CAPACITY (16), required to succeed; remembers the block size for the read/write helpers. */
    public Capacity capacity(int lun) throws IOException {
        return Capacity.fromReadCapacity16(readCapacity16(lun).requireGood().data());
    }

    public ScsiResult read10(int lun, long lba, int blocks) throws IOException {
        return execute(ScsiRequest.read(lun, Cdbs.read10(lba, blocks), blocks * blockSize(lun)));
    }

    public ScsiResult read16(int lun, long lba, int blocks) throws IOException {
        return execute(ScsiRequest.read(lun, Cdbs.read16(lba, blocks), blocks * blockSize(lun)));
    }

    public ScsiResult write10(int lun, long lba, byte[] data, boolean fua) throws IOException {
        return execute(ScsiRequest.write(lun, Cdbs.write10(lba, blocksOf(lun, data), fua), data));
    }

    public ScsiResult write16(int lun, long lba, byte[] data, boolean fua) throws IOException {
        return execute(ScsiRequest.write(lun, Cdbs.write16(lba, blocksOf(lun, data), fua), data));
    }

    public ScsiResult synchronizeCache(int lun) throws IOException {
        return execute(ScsiRequest.noData(lun, Cdbs.synchronizeCache10()));
    }

    /** REPORT LUNS (SPC-5 §6.33), required to succeed: the LUN numbers reported. */
    public List<Integer> reportLuns() throws IOException {
        ScsiResult r = execute(ScsiRequest.read(0, Cdbs.reportLuns(4096), 4096)).requireGood();
        byte[] d = r.data();
        if (d.length < 8) {
            throw new ProtocolViolationException("REPORT LUNS data shorter than its 8-byte header");
        }
        int listLength = Bytes.getInt(d, 0);
        List<Integer> luns = new ArrayList<>();
        for (int off = 8; off + 8 <= Math.min(d.length, 8 + listLength); off += 8) {
            luns.add(Luns.decode(Bytes.getLong(d, off)));
        }
        return luns;
    }

    /**
     * Issues TEST UNIT READY until it no longer reports UNIT ATTENTION (at most 16 times, SAM-5
     * §5.14: each UA is reported once).
     *
     * @return the unit attentions seen, oldest first
     */
    public List<SenseData> clearUnitAttentions(int lun) throws IOException {
        List<SenseData> seen = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ScsiResult r = testUnitReady(lun);
            if (!r.isCheckCondition() || r.senseKey() != SenseKey.UNIT_ATTENTION) {
                return seen;
            }
            seen.add(r.sense());
        }
        throw new ProtocolViolationException("UNIT ATTENTION still reported after 16 TEST UNIT READY commands: " + seen);
    }

    /** The block size learned from READ CAPACITY, or set with {@link #useBlockSize}. */
    public int blockSize(int lun) {
        Integer size = blockSizes.get(lun);
        if (size == null) {
            throw new IllegalStateException("block size of LUN " + lun + " unknown: call capacity(lun) first");
        }
        return size;
    }

    public void useBlockSize(int lun, int blockSize) {
        blockSizes.put(lun, blockSize);
    }

    private int blocksOf(int lun, byte[] data) {
        int size = blockSize(lun);
        if (data.length % size != 0) {
            throw new IllegalArgumentException("write of " + data.length + " bytes is not whole " + size + "-byte blocks");
        }
        return data.length / size;
    }
}
