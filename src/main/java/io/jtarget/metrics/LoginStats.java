package io.jtarget.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Logins by target and outcome ("success", or the failure's status name such as
 * "authentication_failure"). Logins are rare next to commands, so a concurrent map keyed by
 * (target, outcome) is cheap enough. The caller passes a target name only for targets the server
 * serves and "" otherwise: names an initiator makes up must not grow the map.
 */
public final class LoginStats {
    public static final String SUCCESS = "success";

    /** One counted combination. */
    public record Key(String target, String outcome) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = target.compareTo(o.target);
            return c != 0 ? c : outcome.compareTo(o.outcome);
        }
    }

    private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();

    public void succeeded(String target) {
        count(target, SUCCESS);
    }

    public void failed(String target, String reason) {
        count(target, reason);
    }

    private void count(String target, String outcome) {
        counts.computeIfAbsent(new Key(target, outcome), k -> new LongAdder()).increment();
    }

    /** Every combination seen so far with its count, sorted by target and outcome. */
    public Map<Key, Long> snapshot() {
        Map<Key, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
