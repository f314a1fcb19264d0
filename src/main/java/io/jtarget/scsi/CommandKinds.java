package io.jtarget.scsi;

import io.jtarget.metrics.CommandKind;

/** Which {@link CommandKind} each operation code counts as: one table, looked up by index per command. */
final class CommandKinds {
    private static final CommandKind[] BY_OPCODE = table();

    private CommandKinds() {}

    static CommandKind of(int opcode) {
        return BY_OPCODE[opcode & 0xff];
    }

    private static CommandKind[] table() {
        CommandKind[] t = new CommandKind[256];
        java.util.Arrays.fill(t, CommandKind.OTHER);
        for (int op : new int[] {ScsiOpcode.READ_6, ScsiOpcode.READ_10, ScsiOpcode.READ_12, ScsiOpcode.READ_16}) {
            t[op] = CommandKind.READ;
        }
        for (int op : new int[] {ScsiOpcode.WRITE_6, ScsiOpcode.WRITE_10, ScsiOpcode.WRITE_12, ScsiOpcode.WRITE_16,
                ScsiOpcode.WRITE_AND_VERIFY_10, ScsiOpcode.WRITE_AND_VERIFY_12, ScsiOpcode.WRITE_AND_VERIFY_16,
                ScsiOpcode.COMPARE_AND_WRITE, ScsiOpcode.ORWRITE_16, ScsiOpcode.WRITE_ATOMIC_16,
                ScsiOpcode.WRITE_SAME_10, ScsiOpcode.WRITE_SAME_16}) {
            t[op] = CommandKind.WRITE;
        }
        t[ScsiOpcode.SYNCHRONIZE_CACHE_10] = CommandKind.FLUSH;
        t[ScsiOpcode.SYNCHRONIZE_CACHE_16] = CommandKind.FLUSH;
        return t;
    }
}
