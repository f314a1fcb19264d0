package io.jtarget.tcmu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every number of {@link TcmuAbi} against the installed kernel header: a C program compiled with
 * gcc against {@code linux/target_core_user.h} (Debian: linux-libc-dev) prints sizeof, offsetof
 * and constant values under the Java constant's name.
 */
class TcmuAbiTest {

    private static final String PROGRAM = """
            #include <stdio.h>
            #include <stddef.h>
            #include <string.h>
            #include <linux/target_core_user.h>
            #define P(name, value) printf("%s %lld\\n", name, (long long) (value))
            #define CE struct tcmu_cmd_entry
            #define TE struct tcmu_tmr_entry
            #define MB struct tcmu_mailbox
            int main(void) {
                P("MAILBOX_VERSION_EXPECTED", TCMU_MAILBOX_VERSION);
                P("MB_VERSION", offsetof(MB, version));
                P("MB_FLAGS", offsetof(MB, flags));
                P("MB_CMDR_OFF", offsetof(MB, cmdr_off));
                P("MB_CMDR_SIZE", offsetof(MB, cmdr_size));
                P("MB_CMD_HEAD", offsetof(MB, cmd_head));
                P("MB_CMD_TAIL", offsetof(MB, cmd_tail));
                P("MAILBOX_SIZE", sizeof(MB));
                P("FLAG_CAP_OOOC", TCMU_MAILBOX_FLAG_CAP_OOOC);
                P("FLAG_CAP_READ_LEN", TCMU_MAILBOX_FLAG_CAP_READ_LEN);
                P("FLAG_CAP_TMR", TCMU_MAILBOX_FLAG_CAP_TMR);
                P("HDR_LEN_OP", offsetof(struct tcmu_cmd_entry_hdr, len_op));
                P("HDR_CMD_ID", offsetof(struct tcmu_cmd_entry_hdr, cmd_id));
                P("HDR_KFLAGS", offsetof(struct tcmu_cmd_entry_hdr, kflags));
                P("HDR_UFLAGS", offsetof(struct tcmu_cmd_entry_hdr, uflags));
                P("OP_MASK", TCMU_OP_MASK);
                P("OP_PAD", TCMU_OP_PAD);
                P("OP_CMD", TCMU_OP_CMD);
                P("OP_TMR", TCMU_OP_TMR);
                P("UFLAG_UNKNOWN_OP", TCMU_UFLAG_UNKNOWN_OP);
                P("UFLAG_READ_LEN", TCMU_UFLAG_READ_LEN);
                P("REQ_IOV_CNT", offsetof(CE, req.iov_cnt));
                P("REQ_IOV_BIDI_CNT", offsetof(CE, req.iov_bidi_cnt));
                P("REQ_IOV_DIF_CNT", offsetof(CE, req.iov_dif_cnt));
                P("REQ_CDB_OFF", offsetof(CE, req.cdb_off));
                P("REQ_IOV", offsetof(CE, req.iov));
                P("IOVEC_SIZE", sizeof(struct iovec));
                P("IOVEC_BASE", offsetof(struct iovec, iov_base));
                P("IOVEC_LEN", offsetof(struct iovec, iov_len));
                P("RSP_SCSI_STATUS", offsetof(CE, rsp.scsi_status));
                P("RSP_READ_LEN", offsetof(CE, rsp.read_len));
                P("RSP_SENSE_BUFFER", offsetof(CE, rsp.sense_buffer));
                P("SENSE_BUFFER_SIZE", TCMU_SENSE_BUFFERSIZE);
                P("CMD_ENTRY_SIZE", sizeof(CE));
                P("TMR_TYPE", offsetof(TE, tmr_type));
                P("TMR_CMD_CNT", offsetof(TE, cmd_cnt));
                P("TMR_CMD_IDS", offsetof(TE, cmd_ids));
                P("TMR_ENTRY_SIZE", sizeof(TE));
                P("TMR_UNKNOWN", TCMU_TMR_UNKNOWN);
                P("TMR_ABORT_TASK", TCMU_TMR_ABORT_TASK);
                P("TMR_ABORT_TASK_SET", TCMU_TMR_ABORT_TASK_SET);
                P("TMR_CLEAR_ACA", TCMU_TMR_CLEAR_ACA);
                P("TMR_CLEAR_TASK_SET", TCMU_TMR_CLEAR_TASK_SET);
                P("TMR_LUN_RESET", TCMU_TMR_LUN_RESET);
                P("TMR_TARGET_WARM_RESET", TCMU_TMR_TARGET_WARM_RESET);
                P("TMR_TARGET_COLD_RESET", TCMU_TMR_TARGET_COLD_RESET);
                P("TMR_LUN_RESET_PRO", TCMU_TMR_LUN_RESET_PRO);
                P("CMD_ADDED_DEVICE", TCMU_CMD_ADDED_DEVICE);
                P("CMD_REMOVED_DEVICE", TCMU_CMD_REMOVED_DEVICE);
                P("CMD_RECONFIG_DEVICE", TCMU_CMD_RECONFIG_DEVICE);
                P("CMD_ADDED_DEVICE_DONE", TCMU_CMD_ADDED_DEVICE_DONE);
                P("CMD_REMOVED_DEVICE_DONE", TCMU_CMD_REMOVED_DEVICE_DONE);
                P("CMD_RECONFIG_DEVICE_DONE", TCMU_CMD_RECONFIG_DEVICE_DONE);
                P("CMD_SET_FEATURES", TCMU_CMD_SET_FEATURES);
                P("ATTR_DEVICE", TCMU_ATTR_DEVICE);
                P("ATTR_MINOR", TCMU_ATTR_MINOR);
                P("ATTR_PAD", TCMU_ATTR_PAD);
                P("ATTR_DEV_CFG", TCMU_ATTR_DEV_CFG);
                P("ATTR_DEV_SIZE", TCMU_ATTR_DEV_SIZE);
                P("ATTR_WRITECACHE", TCMU_ATTR_WRITECACHE);
                P("ATTR_CMD_STATUS", TCMU_ATTR_CMD_STATUS);
                P("ATTR_DEVICE_ID", TCMU_ATTR_DEVICE_ID);
                P("ATTR_SUPP_KERN_CMD_REPLY", TCMU_ATTR_SUPP_KERN_CMD_REPLY);
                return 0;
            }
            """;

    /** Values of the kernel module (target_core_user.c: genl_family .version), not in the UAPI header. */
    private static final Set<String> MODULE_FACTS = Set.of("GENL_VERSION");

    @Test
    void everyConstantMatchesTheInstalledKernelHeader(@TempDir Path dir) throws Exception {
        Map<String, Long> header = compileAndRun(dir);
        Set<String> javaInts = new TreeSet<>();
        for (Field f : TcmuAbi.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && !MODULE_FACTS.contains(f.getName())) {
                javaInts.add(f.getName());
                assertThat(header).as("the C program prints %s", f.getName()).containsKey(f.getName());
                assertThat((long) f.getInt(null)).as(f.getName()).isEqualTo(header.get(f.getName()));
            }
        }
        assertThat(header.keySet()).as("every printed value has a Java constant").isSubsetOf(javaInts);
    }

    @Test
    void installedHeaderIsTheInterfaceVersionThisCodeSpeaks() throws IOException {
        assertThat(Files.readString(Path.of("/usr/include/linux/target_core_user.h")))
                .contains("#define TCMU_VERSION \"2.0\"");
    }

    private static Map<String, Long> compileAndRun(Path dir) throws IOException, InterruptedException {
        Path header = Path.of("/usr/include/linux/target_core_user.h");
        assertThat(header).as("linux/target_core_user.h (Debian package linux-libc-dev)").exists();
        Path source = dir.resolve("abi.c");
        Path binary = dir.resolve("abi");
        Files.writeString(source, PROGRAM);
        run(dir, "gcc", "-Wall", "-Werror", "-o", binary.toString(), source.toString());
        String out = run(dir, binary.toString());
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] parts = line.trim().split(" ");
            if (parts.length == 2) {
                values.put(parts[0], Long.parseLong(parts[1]));
            }
        }
        assertThat(values).hasSizeGreaterThan(50);
        return values;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is needed (Debian package gcc): " + e.getMessage(), e);
        }
        byte[] output = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s failed:%n%s", String.join(" ", command), text).isZero();
        return text;
    }
}
