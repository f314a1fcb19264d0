package io.jtarget.config;

import io.jtarget.backstore.BackingSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Validates a {@link ConfigDocument} and turns it into the {@link ServerConfig} the server runs.
 * Every error is collected, each with the path of its field ({@code targets[1].luns[0].size}), so
 * one run of {@code jtarget config validate} shows all of them.
 *
 * <p>Backing stores are parsed by the store seam ({@link BackingSpecParser}); this class knows no
 * store kinds. Relative paths (files, secret files) are relative to the data directory.
 */
public final class ConfigCompiler {
    private static final long SECTOR = 512;
    private static final int MAX_LUN = 16383;

    private final Path dataDir;
    private final List<ConfigError> errors = new ArrayList<>();

    private ConfigCompiler(Path dataDir) {
        this.dataDir = dataDir;
    }

    /**
     * @param dataDir the data directory: relative paths are taken from it, and it keeps the state that
     *     must survive a restart
     * @throws ConfigException listing every error
     */
    public static ServerConfig compile(ConfigDocument doc, Path dataDir) throws ConfigException {
        ConfigCompiler c = new ConfigCompiler(dataDir);
        ServerConfig config = c.compile(doc);
        if (!c.errors.isEmpty()) {
            throw new ConfigException(c.errors);
        }
        return config;
    }

    private ServerConfig compile(ConfigDocument doc) {
        List<InetSocketAddress> portals = new ArrayList<>();
        Set<InetSocketAddress> seenPortals = new HashSet<>();
        for (int i = 0; i < doc.portals().size(); i++) {
            String path = "portals[" + i + "]";
            String text = doc.portals().get(i);
            InetSocketAddress a = attempt(path, () -> Portals.parse(text));
            if (a != null && !seenPortals.add(a)) {
                error(path, "listed twice");
            } else if (a != null) {
                portals.add(a);
            }
        }
        if (doc.portals().isEmpty()) {
            error("portals", "at least one portal is needed");
        }
        AuthConfig discovery = auth("discovery-auth", doc.discoveryAuth());
        ConfigDocument.Limits l = doc.limits() == null
                ? new ConfigDocument.Limits(null, null, null, null, null, null, null, null, null, null, null)
                : doc.limits();
        ServerConfig.Limits defaults = ServerConfig.Limits.defaults();
        ServerConfig.Limits limits = new ServerConfig.Limits(
                count("limits.event-loops", l.eventLoops(), defaults.eventLoopThreads(), 0),
                count("limits.backend-threads", l.backendThreads(), defaults.backendThreads(), 1),
                Duration.ofSeconds(count("limits.nop-interval", l.nopInterval(), (int) defaults.nopInInterval().toSeconds(), 1)),
                Duration.ofSeconds(count("limits.nop-timeout", l.nopTimeout(), (int) defaults.nopInTimeout().toSeconds(), 1)),
                Duration.ofSeconds(count("limits.login-timeout", l.loginTimeout(), (int) defaults.loginTimeout().toSeconds(), 1)),
                count("limits.queue-depth", l.queueDepth(), defaults.maxCommandsPerSession(), 1));
        long dataOut = l.maxDataOutBuffer() == null ? ConnectionLimits.DEFAULT_MAX_DATA_OUT_MIB * 1024L * 1024
                : orZero(attempt("limits.max-data-out-buffer", () -> BackingSpecParser.parseSize(l.maxDataOutBuffer())));
        ConnectionLimits connectionLimits = attempt("limits", () -> new ConnectionLimits(
                count("limits.max-connections", l.maxConnections(), ConnectionLimits.DEFAULT_MAX_CONNECTIONS, 1),
                count("limits.max-connections-per-address", l.maxConnectionsPerAddress(),
                        ConnectionLimits.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, 1),
                count("limits.max-sessions-per-target", l.maxSessionsPerTarget(),
                        ConnectionLimits.DEFAULT_MAX_SESSIONS_PER_TARGET, 1),
                count("limits.max-sessions-per-initiator", l.maxSessionsPerInitiator(),
                        ConnectionLimits.DEFAULT_MAX_SESSIONS_PER_INITIATOR, 1),
                dataOut));

        List<TargetConfig> targets = new ArrayList<>();
        Map<String, String> targetNames = new HashMap<>();
        for (int t = 0; t < doc.targets().size(); t++) {
            TargetConfig target = target("targets[" + t + "]", doc.targets().get(t), targetNames);
            if (target != null) {
                targets.add(target);
            }
        }
        if (connectionLimits == null || discovery == null) {
            return null;
        }
        return new ServerConfig(portals, targets, limits, discovery, connectionLimits, dataDir);
    }

    private TargetConfig target(String path, ConfigDocument.Target t, Map<String, String> names) {
        if (t == null) {
            error(path, "is empty");
            return null;
        }
        if (t.name() == null) {
            error(path + ".name", "is required");
        } else if (!IscsiNames.isValid(t.name())) {
            error(path + ".name", "'" + t.name() + "' is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:id], "
                    + "eui.<16 hex>, naa.<hex>)");
        } else {
            String previous = names.putIfAbsent(IscsiNameFolding.fold(t.name()), path);
            if (previous != null) {
                error(path + ".name", "'" + t.name() + "' is already the name of " + previous);
            }
        }
        List<LunConfig> luns = new ArrayList<>();
        Map<Integer, String> numbers = new HashMap<>();
        for (int i = 0; i < t.luns().size(); i++) {
            LunConfig lun = lun(path + ".luns[" + i + "]", t.luns().get(i), numbers);
            if (lun != null) {
                luns.add(lun);
            }
        }
        AuthConfig auth = auth(path + ".auth", t.auth());
        AccessConfig access = access(path + ".access", t.access(), numbers.keySet());
        if (t.name() == null || auth == null || access == null) {
            return null;
        }
        return new TargetConfig(t.name(), luns, auth, access);
    }

    private LunConfig lun(String path, ConfigDocument.Lun l, Map<Integer, String> numbers) {
        if (l == null) {
            error(path, "is empty");
            return null;
        }
        boolean ok = true;
        if (l.lun() == null) {
            error(path + ".lun", "is required");
            ok = false;
        } else if (l.lun() < 0 || l.lun() > MAX_LUN) {
            error(path + ".lun", "must be 0.." + MAX_LUN + ", got " + l.lun());
            ok = false;
        } else {
            String previous = numbers.putIfAbsent(l.lun(), path);
            if (previous != null) {
                error(path + ".lun", "LUN " + l.lun() + " is already used by " + previous);
                ok = false;
            }
        }
        if (l.backing() == null) {
            error(path + ".backing", "is required (e.g. ram:64M, file:/srv/lun0.img)");
            return null;
        }
        BackingSpecParser.ParsedLun parsed = attempt(path + ".backing", () -> BackingSpecParser.parseLun(l.backing()));
        if (parsed == null) {
            return null;
        }
        BackingSpec backing = parsed.backing().resolvedAgainst(dataDir);
        if (l.size() != null) {
            Long size = attempt(path + ".size", () -> BackingSpecParser.parseSize(l.size()));
            if (size == null) {
                return null;
            }
            if (size <= 0 || size % SECTOR != 0) {
                error(path + ".size", "must be a positive multiple of " + SECTOR + " bytes, got " + l.size());
                return null;
            }
            try {
                backing = backing.withSize(size);
            } catch (UnsupportedOperationException e) {
                error(path + ".size", e.getMessage());
                return null;
            }
        }
        if (!ok) {
            return null;
        }
        return new LunConfig(l.lun(), backing, parsed.readOnly() || Boolean.TRUE.equals(l.readOnly()),
                parsed.removable() || Boolean.TRUE.equals(l.removable()));
    }

    private AuthConfig auth(String path, ConfigDocument.Auth a) {
        if (a == null) {
            return AuthConfig.NONE;
        }
        Set<ChapDigest> algorithms = EnumSet.noneOf(ChapDigest.class);
        if (a.algorithms() == null) {
            algorithms.addAll(EnumSet.allOf(ChapDigest.class));
        } else {
            for (int i = 0; i < a.algorithms().size(); i++) {
                String name = a.algorithms().get(i);
                ChapDigest d = attempt(path + ".algorithms[" + i + "]", () -> ChapDigest.parse(name));
                if (d != null) {
                    algorithms.add(d);
                }
            }
        }
        if (a.chap() == null) {
            if (a.mutualChap() != null) {
                error(path + ".mutual-chap", "needs chap too (RFC 7143 §12.1.3)");
            }
            return a.mutualChap() == null ? AuthConfig.NONE : null;
        }
        ChapCredentials chap = chap(path + ".chap", a.chap());
        Optional<ChapCredentials> mutual = Optional.empty();
        if (a.mutualChap() != null) {
            ChapCredentials m = chap(path + ".mutual-chap", a.mutualChap());
            if (m == null) {
                return null;
            }
            mutual = Optional.of(m);
        }
        if (chap == null) {
            return null;
        }
        Optional<ChapCredentials> mutualChap = mutual;
        return attempt(path, () -> AuthConfig.chap(chap, mutualChap, algorithms));
    }

    private ChapCredentials chap(String path, ConfigDocument.Chap c) {
        if (c.user() == null) {
            error(path + ".user", "is required");
            return null;
        }
        byte[] secret;
        if ((c.secret() == null) == (c.secretFile() == null)) {
            error(path, "give exactly one of secret and secret-file");
            return null;
        } else if (c.secret() != null) {
            secret = c.secret().getBytes(StandardCharsets.UTF_8);
        } else {
            Path file = dataDir.resolve(c.secretFile());
            try {
                // The first line: a trailing newline an editor adds is not part of the secret.
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int eol = text.indexOf('\n');
                secret = (eol < 0 ? text : text.substring(0, eol)).strip().getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                error(path + ".secret-file", "cannot read " + file + ": " + e.getMessage());
                return null;
            }
        }
        return attempt(path, () -> new ChapCredentials(c.user(), secret));
    }

    private static final String NOT_AN_INITIATOR =
            "is not an iSCSI name nor an SRP initiator port identifier (0x and 32 hex digits)";

    /** An initiator in access rules: an iSCSI name, or an SRP initiator port as {@code TransportId.Srp} names it. */
    private static boolean validInitiator(String name) {
        return IscsiNames.isValid(name)
                || (name.startsWith("0x") && io.jtarget.scsi.TransportId.Srp.ofName(name) != null);
    }

    private AccessConfig access(String path, ConfigDocument.Access a, Set<Integer> targetLuns) {
        if (a == null) {
            return AccessConfig.ANY;
        }
        boolean ok = true;
        for (int i = 0; i < a.initiators().size(); i++) {
            if (!validInitiator(a.initiators().get(i))) {
                error(path + ".initiators[" + i + "]", "'" + a.initiators().get(i) + "' " + NOT_AN_INITIATOR);
                ok = false;
            }
        }
        List<AddressRange> ranges = new ArrayList<>();
        for (int i = 0; i < a.addresses().size(); i++) {
            String cidr = a.addresses().get(i);
            AddressRange r = attempt(path + ".addresses[" + i + "]", () -> AddressRange.parse(cidr));
            if (r == null) {
                ok = false;
            } else {
                ranges.add(r);
            }
        }
        Map<String, Set<Integer>> mapped = new HashMap<>();
        for (Map.Entry<String, List<Integer>> e : a.mappedLuns().entrySet()) {
            String where = path + ".mapped-luns." + e.getKey();
            if (!validInitiator(e.getKey())) {
                error(where, "'" + e.getKey() + "' " + NOT_AN_INITIATOR);
                ok = false;
                continue;
            }
            List<Integer> luns = e.getValue() == null ? List.of() : e.getValue();
            for (int i = 0; i < luns.size(); i++) {
                if (luns.get(i) == null || !targetLuns.contains(luns.get(i))) {
                    error(where + "[" + i + "]", "the target has no LUN " + luns.get(i));
                    ok = false;
                }
            }
            mapped.put(e.getKey(), new HashSet<>(luns));
        }
        return ok ? new AccessConfig(a.initiators(), ranges, mapped) : null;
    }

    private int count(String path, Integer value, int defaultValue, int min) {
        if (value == null) {
            return defaultValue;
        }
        if (value < min) {
            error(path, "must be at least " + min + ", got " + value);
            return defaultValue;
        }
        return value;
    }

    /** Runs a parser or validating constructor; its IllegalArgumentException becomes an error at {@code path}. */
    private <T> T attempt(String path, java.util.function.Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            error(path, e.getMessage());
            return null;
        }
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }

    private void error(String path, String message) {
        errors.add(new ConfigError(path, message));
    }
}
