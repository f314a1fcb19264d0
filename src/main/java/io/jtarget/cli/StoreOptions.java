package io.jtarget.cli;

import io.jtarget.backstore.rbd.RbdStore;
import io.jtarget.config.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * How backing stores reach what lies behind them (a Ceph cluster) and how long one of their I/Os
 * may take: the same options for every command that opens stores ({@code serve}, {@code tcmu}).
 * Runtime settings of this machine, given on every start, never written to the configuration file.
 */
final class StoreOptions {

    @Option(names = "--ceph-conf", paramLabel = "FILE",
            description = "ceph.conf of the cluster of rbd: LUNs (default: $CEPH_CONF, else /etc/ceph/ceph.conf).")
    Path cephConf;

    @Option(names = "--ceph-id", paramLabel = "NAME",
            description = "cephx client id of rbd: LUNs, without 'client.' (default: admin).")
    String cephId;

    @Option(names = "--ceph-keyring", paramLabel = "FILE",
            description = "Keyring with the client's key (default: the ceph.conf's keyring setting).")
    Path cephKeyring;

    @Option(names = "--io-timeout", paramLabel = "SECONDS", defaultValue = "20",
            description = "A remote store's (rbd) I/O that takes longer fails with a timeout sense (default: ${DEFAULT-VALUE}).")
    int ioTimeout;

    /** The settings these options give; a bad value is a usage error of {@code command}. */
    StoreSettings settings(CommandLine command) {
        if (ioTimeout < 1) {
            throw new CommandLine.ParameterException(command, "--io-timeout: must be at least 1, got " + ioTimeout);
        }
        Map<String, String> options = new HashMap<>();
        if (cephConf != null) {
            options.put(RbdStore.CONF, cephConf.toString());
        }
        if (cephId != null) {
            options.put(RbdStore.ID, cephId.startsWith("client.") ? cephId.substring("client.".length()) : cephId);
        }
        if (cephKeyring != null) {
            options.put(RbdStore.KEYRING, cephKeyring.toString());
        }
        return new StoreSettings(options, Duration.ofSeconds(ioTimeout));
    }
}
