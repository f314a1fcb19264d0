package io.jtarget.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * AuthMethod=CHAP (RFC 7143 §12.1.3, RFC 1994), one-way or mutual, target side:
 *
 * <pre>
 *   I→T  CHAP_A=&lt;A1,A2,...&gt;
 *   T→I  CHAP_A=&lt;A&gt; CHAP_I=&lt;I&gt; CHAP_C=&lt;C&gt;
 *   I→T  CHAP_N=&lt;N&gt; CHAP_R=&lt;R&gt; [CHAP_I=&lt;I'&gt; CHAP_C=&lt;C'&gt;]   (the bracket: mutual)
 *   T→I  [CHAP_N=&lt;N'&gt; CHAP_R=&lt;R'&gt;]
 * </pre>
 *
 * R = H(I || secret || C) with H the algorithm A (RFC 1994 §4.1). A is the first algorithm of the
 * initiator's CHAP_A list that the target accepts (RFC 7143 §6.2.1). Challenges are fresh
 * SecureRandom bytes; responses are compared in constant time, and an unknown CHAP_N goes through
 * exactly the same computation as a wrong response, so a failure costs the same time as a success
 * and tells nothing (no timing oracle). A reflected
 * challenge (the initiator sending our own CHAP_C back for mutual CHAP) is refused, as §12.1.3
 * requires ("Responders MUST check for this condition and close the iSCSI TCP connection").
 *
 * <p>Failure reasons go to the log only; they never contain a secret or a response value.
 */
public final class ChapAuthenticator implements Authenticator {

    /** A CHAP name and secret. The secret never appears in {@link #toString()}. */
    public record Credentials(String name, byte[] secret) {
        public Credentials {
            Objects.requireNonNull(name, "name");
            secret = secret.clone();
        }

        @Override
        public byte[] secret() {
            return secret.clone();
        }

        @Override
        public String toString() {
            return "Credentials[name=" + name + ", secret=(redacted)]";
        }
    }

    private final Credentials initiator;
    private final Optional<Credentials> target;
    private final Set<ChapAlgorithm> algorithms;
    private final BiPredicate<SessionType, Optional<String>> scope;
    private final SecureRandom random;

    /**
     * @param initiator what the initiator must prove (CHAP_N and the secret behind CHAP_R)
     * @param target the target's own name and secret for mutual CHAP, if configured
     * @param algorithms the CHAP_A algorithms accepted (MD5 only if listed)
     * @param scope the logins this authenticator serves (session type, target name)
     */
    public ChapAuthenticator(Credentials initiator, Optional<Credentials> target, Set<ChapAlgorithm> algorithms,
            BiPredicate<SessionType, Optional<String>> scope, SecureRandom random) {
        this.initiator = Objects.requireNonNull(initiator, "initiator");
        this.target = Objects.requireNonNull(target, "target");
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("CHAP needs at least one algorithm");
        }
        this.algorithms = Set.copyOf(algorithms);
        this.scope = Objects.requireNonNull(scope, "scope");
        this.random = Objects.requireNonNull(random, "random");
    }

    @Override
    public String method() {
        return TextKeys.CHAP;
    }

    @Override
    public boolean appliesTo(SessionType sessionType, Optional<String> targetName) {
        return scope.test(sessionType, targetName);
    }

    @Override
    public AuthenticationExchange begin(String initiatorName, Optional<String> targetName, SessionType sessionType) {
        return new Exchange();
    }

    @Override
    public String toString() {
        return "CHAP[user=" + initiator.name() + (target.isPresent() ? ", mutual" : "") + ", " + algorithms + "]";
    }

    private enum State { AWAIT_ALGORITHM, AWAIT_RESPONSE, DONE }

    private final class Exchange implements AuthenticationExchange {
        private State state = State.AWAIT_ALGORITHM;
        private ChapAlgorithm algorithm;
        private int identifier;
        private byte[] challenge;

        @Override
        public boolean handlesKey(String key) {
            return key.equals(TextKeys.CHAP_A) || key.equals(TextKeys.CHAP_I) || key.equals(TextKeys.CHAP_C)
                    || key.equals(TextKeys.CHAP_N) || key.equals(TextKeys.CHAP_R);
        }

        @Override
        public AuthenticationStep step(List<KeyValue> keys) {
            return switch (state) {
                case AWAIT_ALGORITHM -> chooseAlgorithm(keys);
                case AWAIT_RESPONSE -> verify(keys);
                case DONE -> fail("CHAP keys after CHAP completed");
            };
        }

        private AuthenticationStep chooseAlgorithm(List<KeyValue> keys) {
            if (keys.isEmpty()) {
                // AuthMethod=CHAP was just selected; the initiator sends CHAP_A next.
                return new AuthenticationStep.Continue(List.of());
            }
            Optional<String> offered = value(keys, TextKeys.CHAP_A);
            if (offered.isEmpty() || keys.size() != 1) {
                return fail("expected CHAP_A alone, got " + names(keys));
            }
            // RFC 7143 §6.2.1: the first value of the initiator's list that the target accepts. Which
            // algorithms are acceptable is the operator's choice; the order of preference is the
            // initiator's (libiscsi computes the response with the algorithm it listed first).
            ChapAlgorithm chosen = null;
            for (String item : TextValues.parseList(offered.get())) {
                OptionalLong id = TextValues.parseNumber(item);
                if (id.isEmpty()) {
                    continue; // §6.2.1: unknown list items are skipped, not fatal
                }
                Optional<ChapAlgorithm> a = ChapAlgorithm.byWireId(id.getAsLong());
                if (a.isPresent() && algorithms.contains(a.get())) {
                    chosen = a.get();
                    break;
                }
            }
            if (chosen == null) {
                // No common algorithm (§6.2.1 would answer Reject); CHAP cannot proceed.
                return fail("no acceptable CHAP_A in '" + truncate(offered.get()) + "' (accepted: "
                        + algorithms.stream().map(ChapAlgorithm::wireId).sorted().toList() + ")");
            }
            algorithm = chosen;
            identifier = random.nextInt(256);
            challenge = new byte[chosen.challengeLength()];
            random.nextBytes(challenge);
            state = State.AWAIT_RESPONSE;
            return new AuthenticationStep.Continue(List.of(
                    KeyValue.of(TextKeys.CHAP_A, chosen.wireId()),
                    KeyValue.of(TextKeys.CHAP_I, identifier),
                    KeyValue.of(TextKeys.CHAP_C, BinaryValues.hex(challenge))));
        }

        private AuthenticationStep verify(List<KeyValue> keys) {
            state = State.DONE;
            Optional<String> name = value(keys, TextKeys.CHAP_N);
            Optional<String> response = value(keys, TextKeys.CHAP_R);
            Optional<String> mutualId = value(keys, TextKeys.CHAP_I);
            Optional<String> mutualChallenge = value(keys, TextKeys.CHAP_C);
            if (name.isEmpty() || response.isEmpty()) {
                // §12.1.3: "the initiator MUST continue with CHAP_N=<N> CHAP_R=<R>".
                return fail("expected CHAP_N and CHAP_R, got " + names(keys));
            }
            if (value(keys, TextKeys.CHAP_A).isPresent() || mutualId.isPresent() != mutualChallenge.isPresent()) {
                return fail("unexpected CHAP keys " + names(keys));
            }
            // Identical work whatever is wrong: decode, hash, compare both, then decide.
            byte[] received = BinaryValues.decode(response.get()).orElse(new byte[0]);
            byte[] expected = chapResponse(algorithm, identifier, initiator.secret, challenge);
            boolean responseOk = MessageDigest.isEqual(expected, received);
            boolean nameOk = MessageDigest.isEqual(name.get().getBytes(StandardCharsets.UTF_8),
                    initiator.name().getBytes(StandardCharsets.UTF_8));
            Arrays.fill(expected, (byte) 0);
            if (!(responseOk & nameOk)) {
                return fail(nameOk ? "wrong CHAP_R for CHAP_N '" + truncate(name.get()) + "'"
                        : "unknown CHAP_N '" + truncate(name.get()) + "'");
            }
            if (mutualId.isEmpty()) {
                return new AuthenticationStep.Authenticated(List.of());
            }
            // Mutual CHAP: the initiator asks the target to prove its identity.
            if (target.isEmpty()) {
                return fail("initiator asked for mutual CHAP; no target credentials configured");
            }
            OptionalLong id = TextValues.parseNumber(mutualId.get());
            if (id.isEmpty() || id.getAsLong() < 0 || id.getAsLong() > 255) {
                // RFC 1994 §4.1: the Identifier is one octet.
                return fail("CHAP_I from the initiator is not an identifier 0..255");
            }
            Optional<byte[]> theirChallenge = BinaryValues.decode(mutualChallenge.get());
            if (theirChallenge.isEmpty()) {
                return fail("CHAP_C from the initiator is not a binary value of 1..1024 bytes");
            }
            if (MessageDigest.isEqual(theirChallenge.get(), challenge)) {
                // §12.1.3: originators MUST NOT reuse the challenge sent by the responder; a
                // reflected challenge would make us answer our own question for an attacker.
                return fail("reflected CHAP_C (the target's own challenge) in mutual CHAP");
            }
            Credentials own = target.get();
            byte[] answer = chapResponse(algorithm, (int) id.getAsLong(), own.secret, theirChallenge.get());
            List<KeyValue> out = new ArrayList<>(2);
            out.add(KeyValue.of(TextKeys.CHAP_N, own.name()));
            out.add(KeyValue.of(TextKeys.CHAP_R, BinaryValues.hex(answer)));
            return new AuthenticationStep.Authenticated(out);
        }
    }

    /** RFC 1994 §4.1: Response = H(Identifier || secret || Challenge). */
    static byte[] chapResponse(ChapAlgorithm algorithm, int identifier, byte[] secret, byte[] challenge) {
        MessageDigest digest = algorithm.newDigest();
        digest.update((byte) identifier);
        digest.update(secret);
        digest.update(challenge);
        return digest.digest();
    }

    private static Optional<String> value(List<KeyValue> keys, String key) {
        return keys.stream().filter(k -> k.key().equals(key)).map(KeyValue::value).findFirst();
    }

    private static List<String> names(List<KeyValue> keys) {
        return keys.stream().map(KeyValue::key).toList();
    }

    /** Initiator-supplied text in a log line: bounded and printable. */
    private static String truncate(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    private static AuthenticationStep fail(String reason) {
        return new AuthenticationStep.Failed(new LoginFailure(LoginStatus.AUTHENTICATION_FAILURE, "CHAP: " + reason));
    }
}
