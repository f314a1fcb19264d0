package io.jtarget.iscsi.login;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Text-key negotiation of one login connection (RFC 7143 §6), stateful across its Login Requests.
 * The caller owns the PDU state machine (CSG/NSG, T/C bits, ISID/TSIH, status codes): it
 * reassembles each request's data segment, decodes it with {@link TextParameters}, calls
 * {@link #negotiate} with the request's CSG, and sends back the answer. When the response moves to
 * Full Feature Phase it takes {@link #negotiatedParameters()}.
 *
 * <p>Not thread-safe: one instance belongs to the connection's event loop. Only leading
 * connections are supported (MaxConnections is 1).
 */
public final class LoginNegotiator {
    private enum AuthState { NOT_STARTED, IN_PROGRESS, SUCCEEDED }

    /** Declarative identity keys an initiator may repeat unchanged (libiscsi resends them after CHAP). */
    private static final Set<String> REPEATABLE_DECLARATIONS = Set.of(
            TextKeys.INITIATOR_NAME, TextKeys.TARGET_NAME, TextKeys.SESSION_TYPE, TextKeys.INITIATOR_ALIAS);

    private final LoginSettings settings;
    private final TargetNegotiationLimits limits;
    private final AcceptorRules rules;
    private final InetAddress peer;
    /** Keys the connection's transport adds (RFC 7145 §6 on iSER), by name. */
    private final Map<String, KeyDefinition> transportKeys = new LinkedHashMap<>();
    private final TransportKeyRules transportRules;
    /** The initiator's declarations of transport keys (e.g. InitiatorRecvDataSegmentLength). */
    private final Map<String, String> transportDeclarations = new HashMap<>();
    private boolean transportKeysDeclared;

    private LoginFailure failure;
    private boolean identified;
    private SessionType sessionType;
    private String initiatorName;
    private String initiatorAlias;
    private TargetDirectory.TargetIdentity target;

    private AuthState authState = AuthState.NOT_STARTED;
    private AuthenticationExchange exchange;

    /** Every key the initiator sent during this login, with its value (§6.2: no renegotiation). */
    private final Map<String, String> received = new HashMap<>();
    /** Keys the target offered and whose answer is outstanding, with the offered value. */
    private final Map<String, String> pendingOffers = new LinkedHashMap<>();
    private final Set<String> offeredByTarget = new HashSet<>();
    /** The value in force for each negotiated key; starts at the RFC defaults. */
    private final Map<String, String> agreed = new HashMap<>();

    private boolean portalGroupTagDeclared;
    private boolean maxRecvDataSegmentLengthDeclared;
    private int initiatorMaxRecvDataSegmentLength = defaultNumber(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH);

    public LoginNegotiator(LoginSettings settings) {
        this(settings, null);
    }

    /**
     * @param peer the initiator's IP address, for address-based access control (null: unknown)
     */
    public LoginNegotiator(LoginSettings settings, InetAddress peer) {
        this(settings, peer, TransportKeyRules.NONE);
    }

    /**
     * @param peer the initiator's IP address, for address-based access control (null: unknown)
     * @param transportKeys the keys the connection's transport negotiates beyond RFC 7143's
     */
    public LoginNegotiator(LoginSettings settings, InetAddress peer, TransportKeyRules transportKeys) {
        this.settings = settings;
        this.peer = peer;
        this.limits = transportKeys.limits(settings.limits());
        this.transportRules = transportKeys;
        this.rules = new AcceptorRules(limits, transportKeys);
        for (KeyDefinition key : transportKeys.keys()) {
            if (KeyRegistry.lookup(key.name()).isPresent()) {
                throw new IllegalArgumentException("transport key redefines an RFC 7143 key: " + key.name());
            }
            this.transportKeys.put(key.name(), key);
        }
        for (KeyDefinition key : KeyRegistry.all()) {
            if (key.isNegotiated()) {
                key.defaultValue().ifPresent(value -> agreed.put(key.name(), value));
            }
        }
        for (KeyDefinition key : this.transportKeys.values()) {
            if (key.isNegotiated()) {
                key.defaultValue().ifPresent(value -> agreed.put(key.name(), value));
            }
        }
    }

    /**
     * Answers the keys of one complete Login Request (all PDUs of a C-bit sequence).
     *
     * @param stage the request's CSG
     * @param offered the decoded keys, in order
     */
    public NegotiationResult negotiate(Stage stage, List<KeyValue> offered) {
        if (failure != null) {
            return new NegotiationResult.Fail(failure);
        }
        try {
            return new NegotiationResult.Proceed(process(stage, offered), stageComplete(stage));
        } catch (LoginRefused refused) {
            failure = refused.failure;
            return new NegotiationResult.Fail(failure);
        }
    }

    /** True once the target agrees that login may enter Full Feature Phase. */
    public boolean readyForFullFeaturePhase() {
        return failure == null && identified && authState == AuthState.SUCCEEDED && pendingOffers.isEmpty();
    }

    /** The session type, once the first request has been accepted. */
    public Optional<SessionType> sessionType() {
        return Optional.ofNullable(sessionType);
    }

    public Optional<String> initiatorName() {
        return Optional.ofNullable(initiatorName);
    }

    /** For logs: the InitiatorName, or "(unknown)" before the first request was accepted. */
    public String initiatorNameOrUnknown() {
        return initiatorName == null ? "(unknown)" : initiatorName;
    }

    /** The TargetName of a normal session, once the first request has been accepted. */
    public Optional<String> targetName() {
        return Optional.ofNullable(target).map(TargetDirectory.TargetIdentity::name);
    }

    /**
     * The values in force when the response that moves to Full Feature Phase is sent.
     *
     * @throws IllegalStateException if {@link #readyForFullFeaturePhase()} is false (a caller bug)
     */
    public NegotiatedParameters negotiatedParameters() {
        if (!readyForFullFeaturePhase()) {
            throw new IllegalStateException("login negotiation is not complete");
        }
        int maxBurstLength = number(TextKeys.MAX_BURST_LENGTH);
        // §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength. The target answers FirstBurstLength
        // no larger than the MaxBurstLength known at that time; should MaxBurstLength be lowered by a
        // later request, the smaller value binds both sides.
        int firstBurstLength = Math.min(number(TextKeys.FIRST_BURST_LENGTH), maxBurstLength);
        return new NegotiatedParameters(
                digest(TextKeys.HEADER_DIGEST),
                digest(TextKeys.DATA_DIGEST),
                initiatorMaxRecvDataSegmentLength,
                // §13.12: until the target declares its value the initiator assumes the default.
                maxRecvDataSegmentLengthDeclared
                        ? limits.maxRecvDataSegmentLength()
                        : defaultNumber(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH),
                maxBurstLength,
                firstBurstLength,
                bool(TextKeys.INITIAL_R2T),
                bool(TextKeys.IMMEDIATE_DATA),
                number(TextKeys.MAX_OUTSTANDING_R2T),
                bool(TextKeys.DATA_PDU_IN_ORDER),
                bool(TextKeys.DATA_SEQUENCE_IN_ORDER),
                number(TextKeys.ERROR_RECOVERY_LEVEL),
                number(TextKeys.MAX_CONNECTIONS),
                number(TextKeys.DEFAULT_TIME_2_WAIT),
                number(TextKeys.DEFAULT_TIME_2_RETAIN),
                sessionType,
                initiatorName,
                Optional.ofNullable(initiatorAlias),
                targetName(),
                transportValues());
    }

    /** The transport keys in force: negotiated results, the initiator's declarations, else defaults. */
    private Map<String, String> transportValues() {
        Map<String, String> values = new LinkedHashMap<>();
        for (KeyDefinition key : transportKeys.values()) {
            String value = key.isNegotiated() ? agreed.get(key.name()) : transportDeclarations.get(key.name());
            if (value == null) {
                value = key.defaultValue().orElse(null);
            }
            if (value != null) {
                values.put(key.name(), value);
            }
        }
        return values;
    }

    // ---------------------------------------------------------------------------------------------

    private List<KeyValue> process(Stage stage, List<KeyValue> offered) {
        List<KeyValue> fresh = rejectRenegotiation(offered);
        if (!identified) {
            identify(fresh);
        }
        if (stage == Stage.LOGIN_OPERATIONAL_NEGOTIATION) {
            requireAuthenticationDone();
        }
        List<KeyValue> response = new ArrayList<>();
        List<KeyValue> authenticationKeys = new ArrayList<>();
        int firstBurstAnswer = -1;
        String firstBurstOffer = null;
        for (KeyValue pair : fresh) {
            if (pendingOffers.containsKey(pair.key())) {
                acceptAnswerToOffer(pair);
                continue;
            }
            Optional<KeyDefinition> definition = KeyRegistry.lookup(pair.key())
                    .or(() -> Optional.ofNullable(transportKeys.get(pair.key())));
            if (definition.isEmpty()) {
                if (authState == AuthState.IN_PROGRESS && exchange.handlesKey(pair.key())) {
                    authenticationKeys.add(pair);
                } else {
                    // §6.2: unknown keys, X- and X# extensions included, are answered NotUnderstood.
                    response.add(KeyValue.of(pair.key(), TextKeys.NOT_UNDERSTOOD));
                }
                continue;
            }
            KeyDefinition key = definition.get();
            checkStage(stage, key);
            if (key.name().equals(TextKeys.FIRST_BURST_LENGTH) && sessionType == SessionType.NORMAL) {
                // Answered after the loop: it depends on InitialR2T, ImmediateData and MaxBurstLength,
                // which may follow it in the same request.
                firstBurstAnswer = response.size();
                firstBurstOffer = pair.value();
                response.add(null);
                continue;
            }
            answer(key, pair, response, authenticationKeys);
        }
        if (firstBurstAnswer >= 0) {
            response.set(firstBurstAnswer, KeyValue.of(TextKeys.FIRST_BURST_LENGTH, answerFirstBurstLength(firstBurstOffer)));
        }
        if (stage == Stage.SECURITY_NEGOTIATION) {
            authenticate(authenticationKeys, response);
        }
        declareTargetValues(stage, response);
        if (stage == Stage.LOGIN_OPERATIONAL_NEGOTIATION) {
            offerWhatDefaultsCannotGive(response);
        }
        return response;
    }

    /**
     * §6.2: "Neither the initiator nor the target should attempt to declare or negotiate a parameter
     * more than once during login"; the target answers such an attempt with Login reject (initiator
     * error). An unchanged identity declaration is tolerated: libiscsi repeats InitiatorName,
     * TargetName and SessionType in the operational stage after a CHAP security stage.
     */
    private List<KeyValue> rejectRenegotiation(List<KeyValue> offered) {
        List<KeyValue> fresh = new ArrayList<>(offered.size());
        Set<String> inThisRequest = new HashSet<>();
        for (KeyValue pair : offered) {
            boolean answerToOffer = pendingOffers.containsKey(pair.key()) && !inThisRequest.contains(pair.key());
            String earlier = received.get(pair.key());
            if (!inThisRequest.add(pair.key()) && !REPEATABLE_DECLARATIONS.contains(pair.key())) {
                throw refuse(LoginStatus.INITIATOR_ERROR, pair.key() + " sent twice in one request");
            }
            if (earlier != null && !answerToOffer) {
                if (REPEATABLE_DECLARATIONS.contains(pair.key()) && earlier.equals(pair.value())) {
                    continue;
                }
                throw refuse(LoginStatus.INITIATOR_ERROR, pair.key() + " renegotiated during login");
            }
            if (earlier == null) {
                received.put(pair.key(), pair.value());
                fresh.add(pair);
            }
        }
        return fresh;
    }

    /** The first request names the initiator, the session type and, for a normal session, the target. */
    private void identify(List<KeyValue> keys) {
        Map<String, String> values = keys.stream()
                .collect(Collectors.toMap(KeyValue::key, KeyValue::value, (first, second) -> first));
        String name = values.get(TextKeys.INITIATOR_NAME);
        if (name == null) {
            // §13.5: InitiatorName MUST be in the first Login Request; §11.13.5 names 0x0207 for it.
            throw refuse(LoginStatus.MISSING_PARAMETER, "no InitiatorName in the first login request");
        }
        if (!TextValues.isIscsiName(name)) {
            throw refuse(LoginStatus.INITIATOR_ERROR, "InitiatorName is not an iSCSI name: " + name);
        }
        initiatorName = name; // known from here on, so a refusal below is logged with it
        String type = values.getOrDefault(TextKeys.SESSION_TYPE, TextKeys.SESSION_TYPE_NORMAL);
        SessionType requested = SessionType.fromWire(type)
                .orElseThrow(() -> refuse(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType=" + type));
        if (requested == SessionType.NORMAL) {
            String targetName = values.get(TextKeys.TARGET_NAME);
            if (targetName == null) {
                // §13.4: TargetName is required unless the session is a discovery session.
                throw refuse(LoginStatus.MISSING_PARAMETER, "no TargetName for a normal session");
            }
            target = settings.targets().find(targetName)
                    .orElseThrow(() -> refuse(LoginStatus.NOT_FOUND, "no target " + targetName));
            if (!settings.targets().mayAccess(name, peer, targetName)) {
                throw refuse(LoginStatus.AUTHORIZATION_FAILURE, name + " may not access " + targetName);
            }
        }
        sessionType = requested;
        identified = true;
    }

    private void requireAuthenticationDone() {
        if (authState == AuthState.SUCCEEDED) {
            return;
        }
        if (authState == AuthState.NOT_STARTED && settings.allowsNoAuthentication(sessionType, targetName())) {
            // The initiator skipped the SecurityNegotiation stage; allowed when None is acceptable.
            authState = AuthState.SUCCEEDED;
            return;
        }
        throw refuse(LoginStatus.AUTHENTICATION_FAILURE, "operational stage entered without authentication");
    }

    private void checkStage(Stage stage, KeyDefinition key) {
        if (stage == Stage.SECURITY_NEGOTIATION && !key.anyStage()) {
            // §6.3: only security and Any-Stage keys belong to the SecurityNegotiation stage.
            throw refuse(LoginStatus.INITIATOR_ERROR, key.name() + " is not allowed in the security stage");
        }
        if (stage == Stage.LOGIN_OPERATIONAL_NEGOTIATION && key.use() == KeyUse.SECURITY_ONLY) {
            throw refuse(LoginStatus.INITIATOR_ERROR, key.name() + " is only allowed in the security stage");
        }
    }

    private void answer(KeyDefinition key, KeyValue pair, List<KeyValue> response, List<KeyValue> authenticationKeys) {
        if (!key.sender().initiatorMaySend() || key.use() == KeyUse.FULL_FEATURE_ONLY) {
            // TargetAlias, TargetAddress, TargetPortalGroupTag come from the target only; SendTargets
            // belongs to Full Feature Phase (§13.3).
            response.add(KeyValue.of(pair.key(), TextKeys.REJECT));
            return;
        }
        if (sessionType == SessionType.DISCOVERY && key.irrelevantInDiscovery()) {
            // §13: "Irrelevant when: SessionType=Discovery".
            response.add(KeyValue.of(pair.key(), TextKeys.IRRELEVANT));
            return;
        }
        switch (key.type()) {
            case DECLARATIVE -> acceptDeclaration(pair);
            case LIST -> {
                if (key.name().equals(TextKeys.AUTH_METHOD)) {
                    response.add(selectAuthMethod(pair.value()));
                } else {
                    response.add(negotiated(key, pair.value()));
                }
            }
            case BOOLEAN_AND, BOOLEAN_OR, NUMERIC_MIN, NUMERIC_MAX -> response.add(negotiated(key, pair.value()));
            case AUTHENTICATION -> {
                if (authState == AuthState.IN_PROGRESS && exchange.handlesKey(pair.key())) {
                    authenticationKeys.add(pair);
                } else {
                    // A CHAP key while no CHAP exchange is running.
                    response.add(KeyValue.of(pair.key(), TextKeys.IRRELEVANT));
                }
            }
            case OBSOLETE -> response.add(KeyValue.of(pair.key(), obsoleteAnswer(pair.key())));
        }
    }

    /** §13.25: IFMarker/OFMarker SHOULD get Reject and MAY get "No"; OFMarkInt/IFMarkInt MUST get Reject. */
    private static String obsoleteAnswer(String key) {
        // "No" for the marker switches: every RFC 3720 initiator (open-iscsi, libiscsi) offers
        // IFMarker=No/OFMarker=No and some treat a Reject of it as a failed negotiation.
        return key.equals(TextKeys.IF_MARKER) || key.equals(TextKeys.OF_MARKER) ? TextKeys.NO : TextKeys.REJECT;
    }

    private KeyValue negotiated(KeyDefinition key, String offered) {
        String answer = rules.answer(key, offered);
        if (!answer.equals(TextKeys.REJECT)) {
            agreed.put(key.name(), answer);
        }
        return KeyValue.of(key.name(), answer);
    }

    private String answerFirstBurstLength(String offered) {
        if (bool(TextKeys.INITIAL_R2T) && !bool(TextKeys.IMMEDIATE_DATA)) {
            // §13.14: "Irrelevant when: ( InitialR2T=Yes and ImmediateData=No )".
            return TextKeys.IRRELEVANT;
        }
        KeyDefinition key = KeyRegistry.lookup(TextKeys.FIRST_BURST_LENGTH).orElseThrow();
        String answer = rules.answer(key, offered);
        if (answer.equals(TextKeys.REJECT)) {
            return answer;
        }
        // A Minimum result may be any value not above the offer; stay within MaxBurstLength (§13.14).
        String bounded = Long.toString(Math.min(Long.parseLong(answer), number(TextKeys.MAX_BURST_LENGTH)));
        agreed.put(TextKeys.FIRST_BURST_LENGTH, bounded);
        return bounded;
    }

    /** Declarations change state but get no answer (§6.2). Identity keys were handled by {@link #identify}. */
    private void acceptDeclaration(KeyValue pair) {
        switch (pair.key()) {
            case TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH -> {
                OptionalLong value = TextValues.parseNumber(pair.value());
                if (value.isEmpty() || value.getAsLong() < KeyRegistry.MIN_DATA_LENGTH
                        || value.getAsLong() > KeyRegistry.MAX_DATA_LENGTH) {
                    // §13.12: 512..2^24-1. A declaration cannot be answered with a counter-value.
                    throw refuse(LoginStatus.INITIATOR_ERROR, "MaxRecvDataSegmentLength=" + pair.value());
                }
                initiatorMaxRecvDataSegmentLength = (int) value.getAsLong();
            }
            case TextKeys.INITIATOR_ALIAS -> {
                // Informational (§13.7); an over-long alias is simply not recorded.
                if (TextValues.isLocalName(pair.value())) {
                    initiatorAlias = pair.value();
                }
            }
            case TextKeys.TARGET_NAME -> {
                if (target != null && !target.name().equals(pair.value())) {
                    throw refuse(LoginStatus.INITIATOR_ERROR, "TargetName changed during login");
                }
            }
            case TextKeys.INITIATOR_NAME, TextKeys.SESSION_TYPE -> {
                String established = pair.key().equals(TextKeys.INITIATOR_NAME)
                        ? initiatorName : sessionType.wireValue();
                if (!established.equals(pair.value())) {
                    throw refuse(LoginStatus.INITIATOR_ERROR, pair.key() + " changed during login");
                }
            }
            default -> {
                KeyDefinition transportKey = transportKeys.get(pair.key());
                if (transportKey != null) {
                    acceptTransportDeclaration(transportKey, pair);
                }
                // X#NodeArchitecture and other informational declarations need nothing.
            }
        }
    }

    /** A declaration of a transport key (RFC 7145 §6.5: InitiatorRecvDataSegmentLength): range-checked, then kept. */
    private void acceptTransportDeclaration(KeyDefinition key, KeyValue pair) {
        if (key.min() != 0 || key.max() != 0) {
            if (!withinRange(pair.value(), key.min(), key.max())) {
                throw refuse(LoginStatus.INITIATOR_ERROR, pair.key() + "=" + pair.value());
            }
            transportDeclarations.put(key.name(), Long.toString(TextValues.parseNumber(pair.value()).orElseThrow()));
            return;
        }
        transportDeclarations.put(key.name(), pair.value());
    }

    /** §6.2.1 list negotiation of AuthMethod (§12): the first offered method the target accepts. */
    private KeyValue selectAuthMethod(String offered) {
        for (String method : TextValues.parseList(offered)) {
            for (Authenticator authenticator : settings.authenticatorsFor(sessionType, targetName())) {
                if (authenticator.method().equals(method)) {
                    exchange = authenticator.begin(initiatorName, targetName(), sessionType);
                    authState = AuthState.IN_PROGRESS;
                    return KeyValue.of(TextKeys.AUTH_METHOD, method);
                }
            }
        }
        // No common method: the login cannot be authenticated (§11.13.5, 0x0201).
        throw refuse(LoginStatus.AUTHENTICATION_FAILURE, "no acceptable AuthMethod in " + offered);
    }

    private void authenticate(List<KeyValue> authenticationKeys, List<KeyValue> response) {
        if (authState == AuthState.NOT_STARTED) {
            // AuthMethod not offered: its default is None (§12).
            if (!settings.allowsNoAuthentication(sessionType, targetName())) {
                throw refuse(LoginStatus.AUTHENTICATION_FAILURE, "the target requires authentication");
            }
            authState = AuthState.SUCCEEDED;
            return;
        }
        if (authState == AuthState.SUCCEEDED) {
            return;
        }
        switch (exchange.step(authenticationKeys)) {
            case AuthenticationStep.Continue step -> response.addAll(step.response());
            case AuthenticationStep.Authenticated step -> {
                response.addAll(step.response());
                authState = AuthState.SUCCEEDED;
            }
            case AuthenticationStep.Failed step -> throw new LoginRefused(step.failure());
        }
    }

    /** Declarations the target owes the initiator (§13.9, §13.6, §13.12). */
    private void declareTargetValues(Stage stage, List<KeyValue> response) {
        if (!portalGroupTagDeclared && sessionType == SessionType.NORMAL) {
            // §13.9: returned in the first Login Response of a login that names a target.
            response.add(KeyValue.of(TextKeys.TARGET_PORTAL_GROUP_TAG, settings.portalGroupTag()));
            // §13.6: a configured alias SHOULD be sent during login of a normal session.
            target.alias().ifPresent(alias -> response.add(KeyValue.of(TextKeys.TARGET_ALIAS, alias)));
            portalGroupTagDeclared = true;
        }
        if (!maxRecvDataSegmentLengthDeclared && stage == Stage.LOGIN_OPERATIONAL_NEGOTIATION) {
            // §13.12: declarative, so the target always states its own value; not allowed in the
            // security stage because it is an operational key.
            response.add(KeyValue.of(TextKeys.MAX_RECV_DATA_SEGMENT_LENGTH, limits.maxRecvDataSegmentLength()));
            maxRecvDataSegmentLengthDeclared = true;
        }
        if (!transportKeysDeclared && stage == Stage.LOGIN_OPERATIONAL_NEGOTIATION) {
            response.addAll(transportRules.targetDeclarations(sessionType));
            transportKeysDeclared = true;
        }
    }

    /**
     * A key the initiator did not offer keeps its default; where the default is something the target
     * cannot accept, the target offers the key itself and waits for the answer before it lets the
     * stage end (§6.2, §6.3).
     */
    private void offerWhatDefaultsCannotGive(List<KeyValue> response) {
        if (!limits.headerDigests().contains(DigestType.NONE)) {
            offer(TextKeys.HEADER_DIGEST, wireList(limits.headerDigests()), response);
        }
        if (!limits.dataDigests().contains(DigestType.NONE)) {
            offer(TextKeys.DATA_DIGEST, wireList(limits.dataDigests()), response);
        }
        if (sessionType != SessionType.NORMAL) {
            return;
        }
        if (limits.maxBurstLength() < number(TextKeys.MAX_BURST_LENGTH)) {
            offer(TextKeys.MAX_BURST_LENGTH, Integer.toString(limits.maxBurstLength()), response);
        }
        if (limits.firstBurstLength() < number(TextKeys.FIRST_BURST_LENGTH)) {
            offer(TextKeys.FIRST_BURST_LENGTH, Integer.toString(limits.firstBurstLength()), response);
        }
        if (!limits.immediateData() && bool(TextKeys.IMMEDIATE_DATA)) {
            offer(TextKeys.IMMEDIATE_DATA, TextKeys.NO, response);
        }
    }

    private void offer(String key, String value, List<KeyValue> response) {
        if (received.containsKey(key) || !offeredByTarget.add(key)) {
            return;
        }
        pendingOffers.put(key, value);
        response.add(KeyValue.of(key, value));
    }

    /** The initiator's answer to a key the target offered must be an admissible selection (§6.2). */
    private void acceptAnswerToOffer(KeyValue pair) {
        String offered = pendingOffers.remove(pair.key());
        KeyDefinition key = KeyRegistry.lookup(pair.key()).orElseThrow();
        String answer = pair.value();
        boolean admissible = switch (key.type()) {
            case LIST -> TextValues.parseList(offered).contains(answer);
            case BOOLEAN_AND -> answer.equals(TextKeys.NO) || (answer.equals(TextKeys.YES) && offered.equals(TextKeys.YES));
            case BOOLEAN_OR -> answer.equals(TextKeys.YES) || (answer.equals(TextKeys.NO) && offered.equals(TextKeys.NO));
            case NUMERIC_MIN -> withinRange(answer, key.min(), Long.parseLong(offered));
            case NUMERIC_MAX -> withinRange(answer, Long.parseLong(offered), key.max());
            default -> false;
        };
        if (!admissible) {
            // Reject/NotUnderstood here leaves a default the target cannot work with.
            throw refuse(LoginStatus.INITIATOR_ERROR, "inadmissible answer " + pair + " to " + key.name() + "=" + offered);
        }
        agreed.put(key.name(), key.isNumeric() ? Long.toString(TextValues.parseNumber(answer).orElseThrow()) : answer);
    }

    private static boolean withinRange(String value, long min, long max) {
        OptionalLong parsed = TextValues.parseNumber(value);
        return parsed.isPresent() && parsed.getAsLong() >= min && parsed.getAsLong() <= max;
    }

    private boolean stageComplete(Stage stage) {
        return stage == Stage.SECURITY_NEGOTIATION
                ? authState == AuthState.SUCCEEDED
                : pendingOffers.isEmpty();
    }

    private static String wireList(List<DigestType> digests) {
        return digests.stream().map(DigestType::wireValue).collect(Collectors.joining(","));
    }

    private int number(String key) {
        return (int) TextValues.parseNumber(agreed.get(key)).orElseThrow();
    }

    private boolean bool(String key) {
        return TextKeys.YES.equals(agreed.get(key));
    }

    private boolean digest(String key) {
        return DigestType.CRC32C.wireValue().equals(agreed.get(key));
    }

    private static int defaultNumber(String key) {
        return Integer.parseInt(KeyRegistry.lookup(key).orElseThrow().defaultValue().orElseThrow());
    }

    private static LoginRefused refuse(LoginStatus status, String reason) {
        return new LoginRefused(new LoginFailure(status, reason));
    }

    /** Internal control flow only: never escapes {@link #negotiate}. */
    private static final class LoginRefused extends RuntimeException {
        private final LoginFailure failure;

        LoginRefused(LoginFailure failure) {
            super(failure.reason(), null, false, false);
            this.failure = failure;
        }
    }
}
