package io.jtarget.cli;

import io.jtarget.admin.AdminServer;
import io.jtarget.admin.ChangeRefused;
import io.jtarget.admin.Management;
import io.jtarget.admin.ManagementRoutes;
import io.jtarget.backstore.BackingSpec;
import io.jtarget.admin.StatsRoutes;
import io.jtarget.config.AccessConfig;
import io.jtarget.config.AddressRange;
import io.jtarget.config.AuthConfig;
import io.jtarget.config.BackingSpecParser;
import io.jtarget.config.ChapCredentials;
import io.jtarget.config.ChapDigest;
import io.jtarget.config.ConfigCompiler;
import io.jtarget.config.ConfigDocument;
import io.jtarget.config.ConfigException;
import io.jtarget.config.ConfigFiles;
import io.jtarget.config.ConnectionLimits;
import io.jtarget.config.IscsiNames;
import io.jtarget.config.LunConfig;
import io.jtarget.config.Portals;
import io.jtarget.config.ServerConfig;
import io.jtarget.config.StoreSettings;
import io.jtarget.config.TargetConfig;
import io.jtarget.metrics.prometheus.PrometheusEndpoint;
import io.jtarget.net.IscsiServer;
import io.jtarget.net.PortalUnavailableException;
import io.jtarget.registry.Registry;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.LogicalUnit;
import io.jtarget.systemd.LoopWatchdog;
import io.jtarget.systemd.SystemdNotifier;
import java.io.IOException;
import io.jtarget.tcmu.TcmuHandler;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code jtarget serve}: run the server until SIGTERM or Ctrl-C. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        abbreviateSynopsis = true,
        description = {
            "Serve disks over iSCSI until SIGTERM or Ctrl-C.",
            "",
            "On SIGTERM: stop accepting, let outstanding commands finish within --shutdown-timeout, "
                    + "flush, and exit 0.",
            "",
            "Without --lun: one LUN, a 1 GiB thin file under --data-dir, kept across restarts.",
            ""
        },
        footerHeading = "%nLUN specs (--lun SPEC):%n",
        footer = {
            "  ram:SIZE            off-heap memory, thin, lost on exit (ram:512M)",
            "  file:PATH[:SIZE]    a file; created sparse at SIZE when missing,",
            "                      an existing file keeps its size",
            "  rbd:POOL/IMAGE      a Ceph RBD image; POOL/IMAGE@SNAP, a snapshot,",
            "                      is read-only (--ceph-conf, --ceph-id, --ceph-keyring)",
            "  SIZE                takes K, M, G, T (powers of 1024)",
            "Flags after a comma (file:/srv/a.img:10G,wt,ro):",
            "  ,ro                 this LUN read-only",
            "  ,wt                 (file) write-through: no volatile write cache",
            "  ,removable          removable medium (ejectable, lockable)"
        },
        sortOptions = false)
public final class ServeCommand implements Callable<Integer> {

    static final String DEFAULT_TARGET = "iqn.2026-11.io.jtarget:demo";
    static final String DEFAULT_DATA_DIR = "jtarget-data";
    private static final String DEFAULT_LUN_FILE = "lun0.img";
    private static final String DEFAULT_LUN_SIZE = "1G";
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:3260",
            description = "Portal to listen on; repeat for several (default: ${DEFAULT-VALUE}). "
                    + "IPv6 as [ADDR]:PORT; port 0 picks a free port.")
    List<String> listen = new ArrayList<>();

    @Option(names = "--iser", paramLabel = "HOST:PORT",
            description = "Also serve the same targets over iSER (iSCSI Extensions for RDMA, RFC 7145) on "
                    + "this address; repeat for several. May be the address of a --listen portal (RDMA CM "
                    + "has its own ports). Needs rdma-core from the distribution (Debian: rdma-core, "
                    + "ibverbs-providers) and an RDMA device whose network interface has HOST: an RDMA NIC "
                    + "(InfiniBand, RoCE, iWARP) or soft-RoCE: rdma link add rxe0 type rxe netdev eth0")
    List<String> iser = new ArrayList<>();

    @Option(names = "--srp", paramLabel = "HOST:PORT",
            description = "Also serve over SRP (SCSI RDMA Protocol, T10 SRP-2) with RDMA CM on this address; "
                    + "repeat for several. One SRP target port exports one target (see --srp-target); "
                    + "initiators log in with id_ext and ioc_guid set to the RDMA device's node GUID. "
                    + "Needs rdma-core and an RDMA device whose network interface has HOST, as --iser.")
    List<String> srp = new ArrayList<>();

    @Option(names = "--srp-target", paramLabel = "IQN",
            description = "The target --srp exports (default: the first target by name). --allow rules "
                    + "name an SRP initiator as 0x and the 32 hex digits of its initiator port identifier.")
    String srpTarget;

    @Option(names = "--target", paramLabel = "IQN", defaultValue = DEFAULT_TARGET,
            description = "Target name, an iqn./eui./naa. iSCSI name (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--lun", paramLabel = "SPEC",
            description = "A logical unit: ram:SIZE, file:PATH[:SIZE] or rbd:POOL/IMAGE[@SNAP] (LUN specs "
                    + "below); repeat for more, numbered from 0 in order.")
    List<String> luns = new ArrayList<>();

    @Mixin
    StoreOptions storeOptions = new StoreOptions();

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = DEFAULT_DATA_DIR,
            description = "Serve as a service from DIR: what is served comes from DIR/jtarget.yaml (created from "
                    + "these flags when missing), changes arrive live through DIR/admin.sock (jtarget lun add ...). "
                    + "Without it: the flags alone, and the default LUN's file in ${DEFAULT-VALUE} under the "
                    + "current directory.")
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

    @Option(names = "--chap-algorithms", paramLabel = "LIST", split = ",", hideParamSyntax = true,
            defaultValue = "SHA3-256,SHA-256,SHA-1,MD5",
            description = "CHAP_A hashes accepted, comma-separated; of those, the first in the initiator's list "
                    + "is used (default: ${DEFAULT-VALUE}). MD5 is accepted only when listed: leave it out "
                    + "if every initiator supports SHA (libiscsi 1.19, Windows and ESXi offer only MD5).")
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

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics (per LUN, per target, server, JVM) over HTTP on "
                    + "this address, path /metrics; port 0 picks a free port. Off by default.")
    String metrics;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGTERM, how long sessions may drain before what is left is closed "
                    + "(default: ${DEFAULT-VALUE}).")
    int shutdownTimeout;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress metricsAddress = metrics == null ? null : parseHostPort("--metrics", metrics);
        Duration drainTimeout = Duration.ofSeconds(positive("--shutdown-timeout", shutdownTimeout, true));
        if (!given("--data-dir")) {
            // Without --data-dir: the flags alone say what is served, as they always did.
            ServerConfig config = buildConfig();
            IscsiServer server = startServer(config);
            if (server == null) {
                return startFailure;
            }
            return serveUntilStopped(server, null, null, metricsAddress, drainTimeout);
        }
        return serveDataDir(metricsAddress, drainTimeout);
    }

    /**
     * {@code --data-dir DIR}: serve what {@code DIR/jtarget.yaml} says (created from the flags when
     * missing), and take live changes through the admin API on {@code DIR/admin.sock}.
     */
    private int serveDataDir(InetSocketAddress metricsAddress, Duration drainTimeout) throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Path dir = dataDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Optional<ConfigDocument> existing;
        try {
            existing = ConfigFiles.read(ConfigFiles.in(dir));
        } catch (ConfigException e) {
            e.errors().forEach(error -> err.println("jtarget: " + ConfigFiles.in(dir) + ": " + error));
            return 1;
        }
        ConfigDocument document;
        if (existing.isPresent()) {
            refuseServingFlags(dir);
            document = existing.get();
            if (given("--listen")) {
                List<String> portals = new ArrayList<>();
                for (String l : listen) {
                    portals.add(Portals.format(parseListen(l)));
                }
                document = document.withPortals(portals);
            }
        } else {
            document = documentFromFlags(dir);
        }
        ServerConfig config;
        try {
            config = ConfigCompiler.compile(document, dir);
        } catch (ConfigException e) {
            e.errors().forEach(error -> err.println("jtarget: " + ConfigFiles.in(dir) + ": " + error));
            return 1;
        }
        // The state directory and how stores reach their cluster are runtime settings, not the file's.
        config = new ServerConfig(config.portals(), config.targets(), config.limits(), config.discoveryAuth(),
                config.connectionLimits(), stateDir != null ? stateDir : config.stateDir(), storeSettings(),
                iserPortals());
        if (existing.isEmpty() || !existing.get().equals(document)) {
            ConfigFiles.save(dir, document);
        }
        IscsiServer server = startServer(config);
        if (server == null) {
            return startFailure;
        }
        Management management = new Management(server, dir, document, config, Registry.DEFAULT_DRAIN_TIMEOUT);
        AdminServer admin = null;
        if (server.nativeTransport()) {
            try {
                List<AdminServer.Route> routes = new ArrayList<>(ManagementRoutes.of(management));
                routes.addAll(StatsRoutes.of(server.registry()));
                admin = AdminServer.start(dir, server.eventLoops(), routes);
            } catch (IOException e) {
                err.println("jtarget: cannot start: " + e.getMessage());
                server.close();
                return 1;
            }
        } else {
            LOG.warn("no native epoll transport: the admin API on {} is not available", dir);
        }
        // SIGHUP: re-read the file and apply what changed (a refused change leaves everything as it was).
        Signal.handle(new Signal("HUP"), s -> Thread.ofPlatform().daemon().name("jtarget-reload").start(() -> {
            try {
                Management.Result r = management.reload();
                LOG.info("SIGHUP: configuration re-read; {} change(s)", r.changes().size());
            } catch (ChangeRefused e) {
                LOG.error("SIGHUP: configuration refused, nothing changed: {}", e.getMessage());
                e.errors().forEach(error -> LOG.error("  {}", error));
            }
        }));
        return serveUntilStopped(server, admin, "Configuration " + ConfigFiles.in(dir)
                + "; manage with: jtarget lun add --data-dir " + dir + " ... (SIGHUP re-reads the file).",
                metricsAddress, drainTimeout);
    }

    /** The exit code when {@link #startServer} returned null. */
    private int startFailure = 1;

    private IscsiServer startServer(ServerConfig config) throws InterruptedException {
        try {
            IscsiServer server = IscsiServer.start(config);
            if (!srp.isEmpty()) {
                List<InetSocketAddress> addresses = new ArrayList<>();
                for (String s : srp) {
                    addresses.add(parseHostPort("--srp", s));
                }
                try {
                    server.addSrpPort(addresses, srpTarget);
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
            }
            return server;
        } catch (PortalUnavailableException e) {
            // A usage problem of this machine (no RDMA device for --iser or --srp): one line, exit code 2.
            spec.commandLine().getErr().println("jtarget: " + e.getMessage());
            startFailure = 2;
            return null;
        } catch (UncheckedIOException e) {
            spec.commandLine().getErr().println("jtarget: " + e.getCause().getMessage());
            return null;
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            spec.commandLine().getErr().println("jtarget: cannot start: " + cause.getMessage());
            return null;
        }
    }

    /**
     * Runs a started server until SIGTERM or SIGINT: metrics endpoint, banner, readiness and watchdog
     * for systemd, then the drain within {@code drainTimeout}. Exit code 0 once stopped.
     *
     * @param admin the admin API to close before the server, or null
     * @param note a line printed after the banner, or null
     */
    private int serveUntilStopped(IscsiServer server, AdminServer admin, String note, InetSocketAddress metricsAddress,
            Duration drainTimeout) throws InterruptedException {
        PrometheusEndpoint endpoint = null;
        if (metricsAddress != null) {
            try {
                endpoint = PrometheusEndpoint.start(server, metricsAddress);
            } catch (Exception e) { // Netty rethrows the bind's IOException undeclared
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                spec.commandLine().getErr().println("jtarget: --metrics " + metrics + ": " + e.getMessage());
                if (admin != null) {
                    admin.close();
                }
                server.close(Duration.ZERO);
                return 1;
            }
        }
        TcmuHandler tcmuHandler = null;
        if (tcmu) {
            tcmuHandler = TcmuCommand.startHandler(server.eventLoops(), server.storeContext(),
                    spec.commandLine().getErr());
            if (tcmuHandler == null) {
                if (endpoint != null) {
                    endpoint.close();
                }
                if (admin != null) {
                    admin.close();
                }
                server.close(Duration.ZERO);
                return 1;
            }
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        printBanner(server, endpoint, spec.commandLine().getOut());
        if (tcmuHandler != null) {
            server.registry().addFabric(tcmuHandler); // its devices in /metrics and `jtarget stats`
            TcmuCommand.printBanner(tcmuHandler, spec.commandLine().getOut());
        }
        if (note != null) {
            spec.commandLine().getOut().println(note);
            spec.commandLine().getOut().flush();
        }

        // systemd Type=notify: ready once every portal is bound; the watchdog pings while every loop runs.
        SystemdNotifier notifier = SystemdNotifier.fromEnvironment();
        notifier.ready("serving " + server.targets().size() + " target(s) on " + server.boundAddresses());
        LoopWatchdog watchdog = SystemdNotifier.watchdogInterval(System.getenv(), ProcessHandle.current().pid())
                .filter(interval -> notifier.enabled())
                .map(interval -> LoopWatchdog.start(server.eventLoops(), notifier::watchdog, interval.dividedBy(2)))
                .orElse(null);

        stop.await();
        notifier.stopping("draining sessions (at most " + drainTimeout.toSeconds() + " s)");
        if (endpoint != null) {
            endpoint.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (tcmuHandler != null) {
            // Before the stores close: answers what the rings hold, waits for what it took.
            tcmuHandler.close();
        }
        server.close(drainTimeout);
        if (watchdog != null) {
            watchdog.close();
        }
        return 0;
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** Options that say what is served; on a data directory with a configuration the file says it. */
    private static final List<String> SERVING_OPTIONS = List.of("--target", "--lun", "--read-only", "--chap",
            "--mutual-chap", "--discovery-chap", "--discovery-mutual-chap", "--chap-algorithms", "--allow",
            "--allow-address", "--queue-depth", "--nop-interval", "--nop-timeout", "--login-timeout",
            "--event-loops", "--backend-threads", "--max-connections", "--max-connections-per-address",
            "--max-sessions-per-target", "--max-sessions-per-initiator", "--max-data-out-buffer");

    private void refuseServingFlags(Path dir) {
        for (String option : SERVING_OPTIONS) {
            if (given(option)) {
                throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + ConfigFiles.in(dir)
                        + " already says what this server serves; change it with 'jtarget target|lun|acl ...' "
                        + "or 'jtarget config apply'");
            }
        }
    }

    /** The configuration file the flags describe (a new data directory). */
    private ConfigDocument documentFromFlags(Path dir) {
        ServerConfig flags = buildConfig(); // validates every flag first, with the usual one-line errors
        Path cwd = Path.of("").toAbsolutePath();
        List<ConfigDocument.Lun> lunEntries = new ArrayList<>();
        if (luns.isEmpty()) {
            lunEntries.add(new ConfigDocument.Lun(0, "file:" + dir.resolve(DEFAULT_LUN_FILE), DEFAULT_LUN_SIZE,
                    readOnly ? Boolean.TRUE : null, null));
        }
        for (LunConfig lun : flags.targets().getFirst().luns().subList(luns.isEmpty() ? 1 : 0,
                flags.targets().getFirst().luns().size())) {
            lunEntries.add(new ConfigDocument.Lun(lun.lun(), lun.backing().resolvedAgainst(cwd).spec(), null,
                    lun.readOnly() ? Boolean.TRUE : null, lun.removable() ? Boolean.TRUE : null));
        }
        ConfigDocument.Access access = allow.isEmpty() && allowAddress.isEmpty() ? null
                : new ConfigDocument.Access(allow, allowAddress);
        List<String> algorithms = given("--chap-algorithms") ? chapAlgorithms : null;
        ConfigDocument.Target t = new ConfigDocument.Target(target, lunEntries,
                authSection(chap, mutualChap, algorithms), access);
        ConfigDocument.Limits limits = new ConfigDocument.Limits(queueDepth, nopInterval, nopTimeout, loginTimeout,
                eventLoops, backendThreads, maxConnections, maxConnectionsPerAddress, maxSessionsPerTarget,
                maxSessionsPerInitiator, maxDataOutBuffer);
        List<String> portals = new ArrayList<>();
        for (String l : listen) {
            portals.add(Portals.format(parseListen(l)));
        }
        return new ConfigDocument(portals, authSection(discoveryChap, discoveryMutualChap, algorithms), limits, List.of(t));
    }

    private static ConfigDocument.Auth authSection(String chapValue, String mutualValue, List<String> algorithms) {
        if (chapValue == null) {
            return null;
        }
        return new ConfigDocument.Auth(chapSection(chapValue), mutualValue == null ? null : chapSection(mutualValue),
                algorithms);
    }

    private static ConfigDocument.Chap chapSection(String userColonSecret) {
        int colon = userColonSecret.indexOf(':');
        return new ConfigDocument.Chap(userColonSecret.substring(0, colon), userColonSecret.substring(colon + 1), null);
    }

    ServerConfig buildConfig() {
        List<InetSocketAddress> portals = new ArrayList<>();
        for (String l : listen) {
            portals.add(parseHostPort("--listen", l));
        }
        if (!IscsiNames.isValid(target)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--target: '" + target + "' is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex>, naa.<hex>)");
        }
        List<LunConfig> lunConfigs = new ArrayList<>();
        if (luns.isEmpty()) {
            lunConfigs.add(new LunConfig(0, new BackingSpec.File(dataDir.resolve(DEFAULT_LUN_FILE),
                    BackingSpecParser.parseSize(DEFAULT_LUN_SIZE), false), readOnly));
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
            LOG.warn(
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
                stateDir != null ? stateDir : dataDir, storeSettings(), iserPortals());
    }

    /** iSER portals: like the store settings, given on every start (a machine's RDMA devices may change). */
    private List<InetSocketAddress> iserPortals() {
        List<InetSocketAddress> portals = new ArrayList<>();
        for (String i : iser) {
            portals.add(parseHostPort("--iser", i));
        }
        return portals;
    }

    /** How stores reach their cluster: runtime options, given on every start (also with --data-dir). */
    private StoreSettings storeSettings() {
        return storeOptions.settings(spec.commandLine());
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
        return parseHostPort("--listen", value);
    }

    private InetSocketAddress parseHostPort(String option, String value) {
        return parse(option, () -> Portals.parse(value));
    }

    static void printBanner(IscsiServer server, PrometheusEndpoint metrics, PrintWriter out) {
        out.println("jtarget is serving");
        for (InetSocketAddress portal : server.boundAddresses()) {
            // Each portal is its own portal group (one SCSI target port per portal).
            out.println("  portal  " + hostPort(portal) + "," + server.portalGroupTag(portal));
        }
        for (InetSocketAddress portal : server.iserAddresses()) {
            out.println("  iSER    " + hostPort(portal) + "," + server.portalGroupTag(portal) + " (RDMA)");
        }
        for (InetSocketAddress portal : server.srpAddresses()) {
            out.println("  SRP     " + hostPort(portal) + " (RDMA CM)");
        }
        for (ServedTarget t : server.targets()) {
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
        if (metrics != null) {
            out.println("  metrics http://" + hostPort(metrics.boundAddress()) + "/metrics");
        }
        if (!server.targets().isEmpty() && !server.boundAddresses().isEmpty()) {
            out.println("  try     iscsi-inq iscsi://" + hostPort(server.boundAddresses().getFirst()) + "/"
                    + server.targets().getFirst().name() + "/0");
        }
        out.println("Stop with Ctrl-C or SIGTERM.");
        out.flush();
    }

    private static String hostPort(InetSocketAddress a) {
        return Portals.format(a);
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
