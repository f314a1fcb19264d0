package io.jtarget.iscsi.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.jtarget.iscsi.pdu.Bhs;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetTransferTagsTest {

    @Test
    void outstandingTagsAreUniqueAndReleasedTagsFreeTheirOwner() {
        TargetTransferTags tags = new TargetTransferTags();
        Object r2t = new Object();
        Object ping = new Object();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            int t = tags.allocate(i % 2 == 0 ? r2t : ping);
            assertThat(t).isNotEqualTo(Bhs.RESERVED_TAG);
            assertThat(seen.add(t)).isTrue();
        }
        int first = seen.iterator().next();
        assertThat(tags.owner(first)).isIn(r2t, ping);
        tags.release(first);
        assertThat(tags.owner(first)).isNull();
        assertThat(tags.outstanding()).isEqualTo(999);
    }

    @Test
    void theReservedValueIsNeverHandedOutWhenTheCounterWrapsAround() {
        // Counting up to 0xfffffffe takes four billion tags: start just below the reserved value.
        TargetTransferTags tags = new TargetTransferTags(Bhs.RESERVED_TAG - 1);
        assertThat(tags.allocate("last")).isEqualTo(Bhs.RESERVED_TAG - 1);
        assertThat(tags.allocate("wrapped")).as("0xffffffff skipped").isEqualTo(1);
        assertThat(tags.owner(Bhs.RESERVED_TAG)).isNull();
        assertThat(tags.outstanding()).isEqualTo(2);
    }
}
