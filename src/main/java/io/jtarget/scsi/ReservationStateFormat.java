package io.jtarget.scsi;

import io.jtarget.scsi.PersistentReservations.Registration;
import io.jtarget.scsi.PersistentReservations.State;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes a {@link ReservationStore} keeps: line-oriented UTF-8 text, one record a line, fields
 * separated by spaces and URL-encoded:
 *
 * <pre>
 * jtarget-pr 1
 * generation &lt;decimal&gt;
 * reservation &lt;type&gt; &lt;holder index or -1&gt;
 * registration &lt;key hex&gt; &lt;initiator name&gt; &lt;isid or -&gt; &lt;target port or -&gt; &lt;relative port id&gt;
 * srp-registration &lt;key hex&gt; &lt;initiator port identifier, 32 hex digits&gt; &lt;target port or -&gt; &lt;relative port id&gt;
 * </pre>
 *
 * <p>An iSCSI registration keeps the line it always had, so files written before SRP read the same.
 */
final class ReservationStateFormat {
    static final String MAGIC = "jtarget-pr 1";
    private static final String NONE = "-";

    private ReservationStateFormat() {}

    /**
     * @param source where the bytes came from, for error messages
     * @return the state (APTPL=1 by construction)
     * @throws IOException naming {@code source} when the bytes are not a consistent state
     */
    static State decode(byte[] bytes, Object source) throws IOException {
        List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
        if (lines.isEmpty() || !lines.getFirst().equals(MAGIC)) {
            throw new IOException(source + ": not a jtarget persistent reservation state file");
        }
        long generation = 0;
        int type = 0;
        int holderIndex = -1;
        List<Registration> regs = new ArrayList<>();
        try {
            for (String line : lines.subList(1, lines.size())) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "generation" -> generation = Long.parseLong(f[1]);
                    case "reservation" -> {
                        type = Integer.parseInt(f[1]);
                        holderIndex = Integer.parseInt(f[2]);
                    }
                    case "registration" -> regs.add(new Registration(
                            new TransportId.Iscsi(decode(f[2]), nullable(f[3])),
                            nullable(f[4]),
                            Integer.parseInt(f[5]),
                            Long.parseUnsignedLong(f[1], 16)));
                    case "srp-registration" -> regs.add(new Registration(
                            srpPort(f[2]),
                            nullable(f[3]),
                            Integer.parseInt(f[4]),
                            Long.parseUnsignedLong(f[1], 16)));
                    default -> throw new IOException(source + ": unknown record '" + f[0] + "'");
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(source + ": malformed state file", e);
        }
        if ((type != 0 && !PersistentReservations.validType(type)) || holderIndex >= regs.size()) {
            throw new IOException(source + ": inconsistent reservation record");
        }
        Registration holder = holderIndex >= 0 ? regs.get(holderIndex) : null;
        if (type != 0 && holder == null && !PersistentReservations.allRegistrants(type)) {
            throw new IOException(source + ": reservation without holder");
        }
        return new State(regs, type, holder, generation, true);
    }


    static byte[] encode(State state) {
        StringBuilder text = new StringBuilder(MAGIC).append('\n');
        text.append("generation ").append(state.generation()).append('\n');
        text.append("reservation ").append(state.type()).append(' ')
                .append(state.holder() == null ? -1 : state.registrations().indexOf(state.holder())).append('\n');
        for (Registration r : state.registrations()) {
            switch (r.initiator()) {
                case TransportId.Iscsi i -> text.append("registration ")
                        .append(Long.toHexString(r.key())).append(' ')
                        .append(encode(i.initiatorName())).append(' ')
                        .append(i.isid() == null ? NONE : i.isid()).append(' ');
                case TransportId.Srp s -> text.append("srp-registration ")
                        .append(Long.toHexString(r.key())).append(' ')
                        .append(s.initiatorName().substring(2)).append(' ');
            }
            text.append(r.targetPort() == null ? NONE : encode(r.targetPort())).append(' ')
                    .append(r.relativeTargetPortId()).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static TransportId srpPort(String hex) {
        TransportId.Srp port = TransportId.Srp.ofName(hex);
        if (port == null) {
            throw new IllegalArgumentException("not an SRP initiator port identifier: " + hex);
        }
        return port;
    }

    private static String nullable(String field) {
        return NONE.equals(field) ? null : decode(field);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
