package io.jtarget.iscsi.login;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Answers {@code SendTargets} in a Full Feature Phase Text Request (RFC 7143 §13.3, Appendix C):
 * for each reported target a {@code TargetName} followed by one {@code TargetAddress} per portal.
 */
public final class SendTargetsResponder {
    private SendTargetsResponder() {}

    /**
     * @param value the SendTargets value: "All", an iSCSI target name, or empty
     * @param sessionType the type of the session the request arrived on
     * @param sessionTarget the target of a normal session (empty for discovery)
     * @param visible the targets this initiator may see, already filtered by access control
     * @return the answer keys; {@code SendTargets=Reject} for "All" in a normal session; no keys when
     *     nothing matches
     */
    public static List<KeyValue> respond(String value, SessionType sessionType, Optional<String> sessionTarget,
            List<DiscoverableTarget> visible) {
        if (value.equals(TextKeys.SEND_TARGETS_ALL)) {
            if (sessionType != SessionType.DISCOVERY) {
                // Appendix C: "All" MUST be supported in discovery and MUST NOT in normal sessions.
                return List.of(KeyValue.of(TextKeys.SEND_TARGETS, TextKeys.REJECT));
            }
            return describe(visible);
        }
        if (sessionType == SessionType.NORMAL) {
            // Appendix C: in a normal session only the session's own target may be reported.
            String own = sessionTarget.orElse("");
            if (!value.isEmpty() && !value.equals(own)) {
                return List.of();
            }
            return describe(visible.stream().filter(t -> t.name().equals(own)).toList());
        }
        if (value.isEmpty()) {
            // An empty value asks for the target the session is logged in to; a discovery session has none.
            return List.of();
        }
        return describe(visible.stream().filter(t -> t.name().equals(value)).toList());
    }

    private static List<KeyValue> describe(List<DiscoverableTarget> targets) {
        List<KeyValue> answer = new ArrayList<>();
        for (DiscoverableTarget target : targets) {
            answer.add(KeyValue.of(TextKeys.TARGET_NAME, target.name()));
            for (TargetPortal portal : target.portals()) {
                answer.add(KeyValue.of(TextKeys.TARGET_ADDRESS, portal.toTargetAddress()));
            }
        }
        return answer;
    }
}
