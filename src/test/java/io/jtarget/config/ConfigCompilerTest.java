package io.jtarget.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jtarget.backstore.BackingSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigCompilerTest {
    @TempDir
    Path dataDir;

    private ServerConfig compile(String yaml) throws ConfigException {
        return ConfigCompiler.compile(ConfigFiles.parse(yaml), dataDir);
    }

    private List<String> errors(String yaml) {
        try {
            compile(yaml);
        } catch (ConfigException e) {
            return e.errors().stream().map(ConfigError::toString).toList();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void shouldCompileTargetsLunsAuthAndAccess() throws Exception {
        Files.writeString(dataDir.resolve("secret"), "s3cret-s3cret-s3cret\n", StandardCharsets.UTF_8);
        ServerConfig c = compile("""
                portals: [127.0.0.1:3261, "[::1]:3262"]
                limits: {queue-depth: 64, max-data-out-buffer: 16M}
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns:
                      - {lun: 0, backing: "ram:64M"}
                      - {lun: 3, backing: "file:disks/a.img,wt", size: 1G, read-only: true}
                    auth: {chap: {user: alice, secret-file: secret}, algorithms: [SHA-256]}
                    access: {initiators: [iqn.1994-05.com.redhat:db1], addresses: [192.0.2.0/24]}
                  - name: iqn.2026-11.org.example:b
                """);
        assertThat(c.portals()).hasSize(2);
        assertThat(c.limits().maxCommandsPerSession()).isEqualTo(64);
        assertThat(c.connectionLimits().maxDataOutBytesPerConnection()).isEqualTo(16L << 20);
        assertThat(c.stateDir()).isEqualTo(dataDir);
        TargetConfig a = c.targets().getFirst();
        assertThat(a.luns()).extracting(LunConfig::lun).containsExactly(0, 3);
        // A relative file is relative to the data directory; size overrides; flags come through.
        assertThat(a.luns().get(1).backing()).isEqualTo(new BackingSpec.File(dataDir.resolve("disks/a.img"), 1L << 30, true));
        assertThat(a.luns().get(1).readOnly()).isTrue();
        // The secret file's first line, without its newline.
        assertThat(a.auth().chap().orElseThrow().secret()).isEqualTo("s3cret-s3cret-s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(a.auth().algorithms()).containsExactly(ChapDigest.SHA_256);
        assertThat(a.access().allows("iqn.1994-05.com.redhat:DB1", java.net.InetAddress.getByName("192.0.2.7"))).isTrue();
        assertThat(c.targets().get(1).luns()).isEmpty();
    }

    @Test
    void shouldNameEveryBadFieldByItsPath() {
        assertThat(errors("""
                portals: [127.0.0.1:99999]
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns: [{lun: 0, backing: "ram:64M"}]
                  - name: not-an-iqn
                    luns:
                      - {lun: 0, backing: "ram:64M", size: 1000}
                      - {lun: 0, backing: "tape:1"}
                      - {backing: "ram:1M"}
                  - name: IQN.2026-11.org.example:A
                    access: {addresses: [10.0.0.0/33]}
                """)).containsExactly(
                "portals[0]: bad port in '127.0.0.1:99999'",
                "targets[1].name: 'not-an-iqn' is not an iSCSI name (iqn.YYYY-MM.reversed.domain[:id], eui.<16 hex>, naa.<hex>)",
                "targets[1].luns[0].size: must be a positive multiple of 512 bytes, got 1000",
                "targets[1].luns[1].lun: LUN 0 is already used by targets[1].luns[0]",
                "targets[1].luns[1].backing: unknown backing store 'tape:1'; expected " + io.jtarget.backstore.Stores.usages(),
                "targets[1].luns[2].lun: is required",
                "targets[2].name: 'IQN.2026-11.org.example:A' is already the name of targets[0]",
                "targets[2].access.addresses[0]: prefix length 33 out of range 0..32 for 10.0.0.0");
    }

    @Test
    void shouldRefuseAMissingSecretFileAndBothKindsOfSecret() {
        assertThat(errors("""
                portals: [127.0.0.1:3260]
                targets:
                  - name: iqn.2026-11.org.example:a
                    auth: {chap: {user: alice, secret-file: nowhere}}
                  - name: iqn.2026-11.org.example:b
                    auth: {chap: {user: bob, secret: s3cret-s3cret, secret-file: x}}
                  - name: iqn.2026-11.org.example:c
                    auth: {chap: {user: carol, secret: short}}
                """)).satisfiesExactly(
                e -> assertThat(e).startsWith("targets[0].auth.chap.secret-file: cannot read " + dataDir.resolve("nowhere")),
                e -> assertThat(e).isEqualTo("targets[1].auth.chap: give exactly one of secret and secret-file"),
                e -> assertThat(e).startsWith("targets[2].auth.chap: CHAP secret for user 'carol' must be 12..255 bytes"));
    }

    @Test
    void shouldReportTypeErrorsAndUnknownFieldsWithTheirPath() {
        assertThatThrownBy(() -> ConfigFiles.parse("""
                portals: [127.0.0.1:3260]
                targets:
                  - name: iqn.2026-11.org.example:a
                    lunz: []
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors().getFirst().toString())
                .isEqualTo("targets[0].lunz: unknown field 'lunz'"));
        assertThatThrownBy(() -> ConfigFiles.parse("""
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns: [{lun: zero, backing: "ram:1M"}]
                """)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.errors().getFirst().path())
                .isEqualTo("targets[0].luns[0].lun"));
        assertThatThrownBy(() -> ConfigFiles.parse("targets: [ {")).isInstanceOfSatisfying(ConfigException.class,
                e -> assertThat(e.getMessage()).contains("not valid YAML"));
    }

    @Test
    void shouldAdmitSrpInitiatorPortsByTheirIdentifier() throws Exception {
        String yaml = """
                portals: [127.0.0.1:3260]
                targets:
                  - name: iqn.2026-11.org.example:a
                    access: {initiators: [iqn.1994-05.com.redhat:db1, "0x0000000000000000505400FFFE123456"]}
                """;
        {
            var access = compile(yaml).targets().getFirst().access();
            // The SRP port's name as the fabric gives it (TransportId.Srp.initiatorName: lower-case hex).
            assertThat(access.allows("0x0000000000000000505400fffe123456", null)).isTrue();
            assertThat(access.allows("0x0000000000000000505400fffe123457", null)).isFalse();
        }
        assertThat(errors(yaml.replace("0x0000000000000000505400FFFE123456", "0x1234")))
                .containsExactly("targets[0].access.initiators[1]: '0x1234' is not an iSCSI name nor an SRP initiator"
                        + " port identifier (0x and 32 hex digits)");
    }

    @Test
    void shouldMapLunsPerInitiatorOnlyToLunsTheTargetHas() throws Exception {
        String yaml = """
                portals: [127.0.0.1:3260]
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns: [{lun: 0, backing: "ram:1M"}, {lun: 1, backing: "ram:1M"}]
                    access:
                      mapped-luns:
                        iqn.1994-05.com.redhat:db1: [1]
                """;
        assertThat(compile(yaml).targets().getFirst().access().mappedLuns())
                .containsExactly(java.util.Map.entry("iqn.1994-05.com.redhat:db1", java.util.Set.of(1)));
        assertThat(errors(yaml.replace("[1]", "[1, 7]")))
                .containsExactly("targets[0].access.mapped-luns.iqn.1994-05.com.redhat:db1[1]: the target has no LUN 7");
    }

    @Test
    void shouldAcceptTheDocumentedExample() throws Exception {
        Path secrets = Files.createDirectories(dataDir.resolve("secrets"));
        Files.writeString(secrets.resolve("discovery"), "discovery-secret-1\n");
        Files.writeString(secrets.resolve("db"), "db-secret-12345\n");
        Files.writeString(secrets.resolve("target-db"), "target-db-secret-678\n");
        String example = Files.readString(Path.of(System.getProperty("user.dir"), "docs", "jtarget.example.yaml"));

        ServerConfig c = compile(example);

        assertThat(c.targets()).extracting(TargetConfig::name)
                .containsExactly("iqn.2026-11.com.example:db", "iqn.2026-11.com.example:scratch");
        assertThat(c.targets().getFirst().auth().mutualChap()).isPresent();
        assertThat(c.discoveryAuth().required()).isTrue();
    }

    @Test
    void shouldWriteWhatItReadsBack() throws Exception {
        ConfigDocument doc = ConfigFiles.parse("""
                portals: [127.0.0.1:3260]
                targets:
                  - name: iqn.2026-11.org.example:a
                    luns: [{lun: 0, backing: "file:/srv/a.img", size: 1G, removable: true}]
                    access: {initiators: [iqn.1994-05.com.redhat:db1]}
                """);
        assertThat(ConfigFiles.parse(ConfigFiles.format(doc))).isEqualTo(doc);
    }
}
