package io.jtarget.cli;

import io.jtarget.config.AccessConfig;
import io.jtarget.config.AddressRange;
import io.jtarget.config.AuthConfig;
import io.jtarget.backstore.BackingSpec;
import io.jtarget.config.ChapCredentials;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.BackingSpecParser;
import io.jtarget.config.LunConfig;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.TargetConfig;
import io.jtarget.iscsi.session.ExportedTarget;
import io.jtarget.net.IscsiServer;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.tcmu.TcmuHandler;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code jtarget serve}: run the server until SIGTERM or Ctrl-C. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve disks over iSCSI until SIGTERM or Ctrl-C (then: stop accepting, finish or abort",
            "outstanding commands, flush, exit 0).",
            "",
            "Without --lun: one LUN, a 1 GiB thin file under --data-dir, kept across restarts."
        },
        sortOptions = false)
public final class ServeCommand implements Callable<Integer> {

    static final String DEFAULT_TARGET = "iqn.2026-11.io.jtarget:demo";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:3260",
            description = "Portal to listen on; repeat for several (default: ${DEFAULT-VALUE}). "
                    + "IPv6 as [ADDR]:PORT; port 0 picks a free port.")
    List<String> listen = new ArrayList<>();

    @Option(names = "--target", paramLabel = "IQN", defaultValue = DEFAULT_TARGET,
            description = "Target name, an iqn./eui./naa. iSCSI name (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--lun", paramLabel = "SPEC",
            description = {
                "A logical unit; repeat for more, numbered from 0 in order:",
                "  ram:SIZE              off-heap memory, lost on exit (e.g. ram:512M)",
                "  file:PATH[:SIZE]      a file; created sparse at SIZE when missing,",
                "                        an existing file keeps its size",
                "SIZE takes K, M, G, T (powers of 1024). Flags after commas:",
                "  ,ro                   this LUN read-only",
                "  ,wt                   (file) write-through: no volatile write cache",
                "  ,removable            removable medium (ejectable, lockable)"
            })
    List<String> luns = new ArrayList<>();

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "jtarget-data",
            description = "Where the default LUN's file lives (default: ./${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where state that must survive a restart is kept (persistent reservations "
                    + "registered with APTPL; default: the --data-dir).")
    Path stateDir;

    @Option(names = "--tcmu", description = "Also serve LIO's user backstores that name jtarget (TCMU), in this process; "
            + "see 'jtarget tcmu --help'.")
    boolean tcmu;

    @Option(names = "--read-only", description = "Export every LUN write-protected.")
    boolean readOnly;

    @Option(names = "--event-loops", paramLabel = "N", defaultValue = "0",
            description = "Network threads (default: one per core).")
    int eventLoops;

    @Option(names = "--backend-threads", paramLabel = "N", defaultValue = "4",
            description = "Threads for blocking backing-store I/O (default: ${DEFAULT-VALUE}).")
    int backendThreads;

    @Option(names = "--queue-depth", paramLabel = "N", defaultValue = "128",
            description = "Commands one session may have outstanding (the CmdSN window; default: ${DEFAULT-VALUE}).")
    int queueDepth;

    @Option(names = "--nop-interval", paramLabel = "SECONDS", defaultValue = "5",
            description = "Ping an idle initiator (NOP-In) after this many seconds (default: ${DEFAULT-VALUE}).")
    int nopInterval;

    @Option(names = "--nop-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Drop a connection whose ping stays unanswered this long (default: ${DEFAULT-VALUE}).")
    int nopTimeout;

    @Option(names = "--login-timeout", paramLabel = "SECONDS", defaultValue = "15",
            description = "Drop a connection that has not completed login in this time (default: ${DEFAULT-VALUE}).")
    int loginTimeout;

    @Option(names = "--chap", paramLabel = "USER:SECRET",
            description = "Require CHAP: initiators log in as USER with SECRET (12..255 bytes). Never printed.")
    String chap;

    @Option(names = "--mutual-chap", paramLabel = "USER:SECRET",
            description = "The target's own CHAP name and secret, for initiators that ask for mutual CHAP "
                    + "(needs --chap; the secret must differ from the --chap one).")
    String mutualChap;

    @Option(names = "--discovery-chap", paramLabel = "USER:SECRET",
            description = "Require CHAP for discovery sessions (SendTargets) too; separate from --chap.")
    String discoveryChap;

    @Option(names = "--discovery-mutual-chap", paramLabel = "USER:SECRET",
            description = "The target's CHAP credentials for mutual CHAP in discovery sessions (needs --discovery-chap).")
    String discoveryMutualChap;

    @Option(names = "--chap-algorithms", paramLabel = "LIST", split = ",",
            defaultValue = "SHA3-256,SHA-256,SHA-1,MD5",
            description = "CHAP_A hashes accepted; the strongest the initiator offers wins (default: ${DEFAULT-VALUE}). "
                    + "MD5 is accepted only when listed: leave it out if every initiator supports SHA "
                    + "(libiscsi 1.19, Windows and ESXi offer only MD5).")
    List<String> chapAlgorithms = new ArrayList<>();

    @Option(names = "--allow", paramLabel = "IQN",
            description = "Only this initiator may log in (repeat for more). Without --allow any initiator may.")
    List<String> allow = new ArrayList<>();

    @Option(names = "--allow-address", paramLabel = "CIDR",
            description = "Only initiators connecting from this address range may log in, e.g. 192.0.2.0/24 (repeatable).")
    List<String> allowAddress = new ArrayList<>();

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "" + ConnectionLimits.DEFAULT_MAX_CONNECTIONS,
            description = "Connections open at once, logins included (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connections-per-address", paramLabel = "N",
            defaultValue = "" + ConnectionLimits.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            description = "Connections from one IP address (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerAddress;

    @Option(names = "--max-sessions-per-target", paramLabel = "N",
            defaultValue = "" + ConnectionLimits.DEFAULT_MAX_SESSIONS_PER_TARGET,
            description = "Sessions on the target (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerTarget;

    @Option(names = "--max-sessions-per-initiator", paramLabel = "N",
            defaultValue = "" + ConnectionLimits.DEFAULT_MAX_SESSIONS_PER_INITIATOR,
            description = "Sessions of one initiator name (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerInitiator;

    @Option(names = "--max-data-out-buffer", paramLabel = "SIZE", defaultValue = ConnectionLimits.DEFAULT_MAX_DATA_OUT_MIB + "M",
            description = "Write data one connection may buffer across its commands; beyond it writes get "
                    + "TASK SET FULL (default: ${DEFAULT-VALUE}, at least 8M).")
    String maxDataOutBuffer;

    @Override
    public Integer call() throws Exception {
        ServerConfig config = buildConfig();
        IscsiServer server;
        try {
            server = IscsiServer.start(config);
        } catch (UncheckedIOException e) {
            spec.commandLine().getErr().println("jtarget: " + e.getCause().getMessage());
            return 1;
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            spec.commandLine().getErr().println("jtarget: cannot start: " + cause.getMessage());
            return 1;
        }
        TcmuHandler tcmuHandler = null;
        if (tcmu) {
            tcmuHandler = TcmuCommand.startHandler(server.eventLoops(), server.storeContext(),
                    spec.commandLine().getErr());
            if (tcmuHandler == null) {
                server.close();
                return 1;
            }
        }
        printBanner(server, spec.commandLine().getOut());
        if (tcmuHandler != null) {
            TcmuCommand.printBanner(tcmuHandler, spec.commandLine().getOut());
        }

        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        stop.await();
        if (tcmuHandler != null) {
            tcmuHandler.close();
        }
        server.close();
        return 0;
    }

    ServerConfig buildConfig() {
        List<InetSocketAddress> portals = new ArrayList<>();
        for (String l : listen) {
            portals.add(parseListen(l));
        }
        if (!IscsiNames.isValid(target)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--target: '" + target + "' is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex>, naa.<hex>)");
        }
        List<LunConfig> lunConfigs = new ArrayList<>();
        if (luns.isEmpty()) {
            lunConfigs.add(new LunConfig(0, new BackingSpec.File(dataDir.resolve("lun0.img"), 1L << 30, false), readOnly));
        }
        for (String value : luns) {
            BackingSpecParser.ParsedLun parsed = parse("--lun", () -> BackingSpecParser.parseLun(value));
            lunConfigs.add(new LunConfig(lunConfigs.size(), parsed.backing(), readOnly || parsed.readOnly(),
                    parsed.removable()));
        }
        ServerConfig.Limits limits = new ServerConfig.Limits(
                positive("--event-loops", eventLoops, true),
                positive("--backend-threads", backendThreads, false),
                Duration.ofSeconds(positive("--nop-interval", nopInterval, false)),
                Duration.ofSeconds(positive("--nop-timeout", nopTimeout, false)),
                Duration.ofSeconds(positive("--login-timeout", loginTimeout, false)),
                positive("--queue-depth", queueDepth, false));
        Set<ChapDigest> algorithms = EnumSet.noneOf(ChapDigest.class);
        for (String a : chapAlgorithms) {
            algorithms.add(parse("--chap-algorithms", () -> ChapDigest.parse(a)));
        }
        AuthConfig targetAuth = auth("--chap", chap, "--mutual-chap", mutualChap, algorithms);
        AuthConfig discoveryAuth = auth("--discovery-chap", discoveryChap, "--discovery-mutual-chap",
                discoveryMutualChap, algorithms);
        if ((targetAuth.required() || discoveryAuth.required()) && algorithms.contains(ChapDigest.MD5)) {
            // MD5 stays accepted for libiscsi, Windows and ESXi, which offer nothing else; say so once.
            org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn(
                    "CHAP accepts MD5 for initiators that offer nothing stronger; "
                            + "--chap-algorithms SHA3-256,SHA-256,SHA-1 refuses it");
        }
        for (String iqn : allow) {
            if (!IscsiNames.isValid(iqn)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--allow: '" + iqn + "' is not an iSCSI name");
            }
        }
        List<AddressRange> ranges = new ArrayList<>();
        for (String cidr : allowAddress) {
            ranges.add(parse("--allow-address", () -> AddressRange.parse(cidr)));
        }
        ConnectionLimits connectionLimits = parse("limits", () -> new ConnectionLimits(maxConnections,
                maxConnectionsPerAddress, maxSessionsPerTarget, maxSessionsPerInitiator,
                BackingSpecParser.parseSize(maxDataOutBuffer)));
        TargetConfig targetConfig = new TargetConfig(target, lunConfigs, targetAuth, new AccessConfig(allow, ranges));
        return new ServerConfig(portals, List.of(targetConfig), limits, discoveryAuth, connectionLimits,
                stateDir != null ? stateDir : dataDir);
    }

    /** One scope's CHAP from its options; messages name the option, never the secret. */
    private AuthConfig auth(String chapOption, String chapValue, String mutualOption, String mutualValue,
            Set<ChapDigest> algorithms) {
        if (chapValue == null) {
            if (mutualValue != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), mutualOption + " needs " + chapOption);
            }
            return AuthConfig.NONE;
        }
        ChapCredentials one = parse(chapOption, () -> ChapCredentials.parse(chapValue));
        Optional<ChapCredentials> mutual = mutualValue == null ? Optional.empty()
                : Optional.of(parse(mutualOption, () -> ChapCredentials.parse(mutualValue)));
        return parse(mutualOption, () -> AuthConfig.chap(one, mutual, algorithms));
    }

    /** Runs a parser or validating constructor; its IllegalArgumentException becomes a usage error naming the option. */
    private <T> T parse(String option, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
        }
    }

    private int positive(String option, int value, boolean zeroAllowed) {
        if (value < 0 || (value == 0 && !zeroAllowed)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + ": must be " + (zeroAllowed ? "zero or more" : "at least 1") + ", got " + value);
        }
        return value;
    }

    private InetSocketAddress parseListen(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--listen: expected HOST:PORT, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--listen: bad port in '" + value + "'");
        }
        return new InetSocketAddress(host, port);
    }

    static void printBanner(IscsiServer server, PrintWriter out) {
        out.println("jtarget is serving");
        for (InetSocketAddress portal : server.boundAddresses()) {
            // Each portal is its own portal group (one SCSI target port per portal).
            out.println("  portal  " + hostPort(portal) + "," + server.portalGroupTag(portal));
        }
        for (ExportedTarget t : server.targets()) {
            out.println("  target  " + t.name());
            // Which protections are on; secrets are never printed.
            out.println("    auth    " + server.security().targetAuth(t.name()).describe());
            out.println("    access  " + server.security().targetAccess(t.name()).describe());
            for (LogicalUnit lu : t.core().logicalUnits()) {
                long bytes = lu.device().blockCount() * lu.device().blockSize();
                out.printf("    LUN %d  %s  %s (%d x %d-byte blocks)%s%n", lu.lun(), humanSize(bytes),
                        lu.device().describe(), lu.device().blockCount(), lu.device().blockSize(),
                        (lu.readOnly() ? ", read-only" : "") + (lu.removable() ? ", removable" : ""));
            }
        }
        out.println("  discovery auth  " + server.security().discoveryAuth().describe());
        if (!server.targets().isEmpty() && !server.boundAddresses().isEmpty()) {
            out.println("  try     iscsi-inq iscsi://" + hostPort(server.boundAddresses().getFirst()) + "/"
                    + server.targets().getFirst().name() + "/0");
        }
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return host + ":" + a.getPort();
    }

    static String humanSize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return v == Math.rint(v) ? String.format("%d %s", (long) v, units[u]) : String.format("%.1f %s", v, units[u]);
    }
}
