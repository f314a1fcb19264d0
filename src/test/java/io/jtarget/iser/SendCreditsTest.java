package io.jtarget.iser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SendCreditsTest {
    final List<String> posted = new ArrayList<>();

    SendCredits.Work work(String name, int slots) {
        return new SendCredits.Work() {
            @Override
            public int slots() {
                return slots;
            }

            @Override
            public void post() {
                posted.add(name);
            }
        };
    }

    @Test
    void shouldPostAtOnceWhileSlotsAreFree() {
        SendCredits credits = new SendCredits(4);
        credits.submit(work("a", 2));
        credits.submit(work("b", 2));

        assertThat(posted).containsExactly("a", "b");
        assertThat(credits.inUse()).isEqualTo(4);
        assertThat(credits.waits()).isZero();
    }

    @Test
    void shouldHoldWorkUntilCompletionsReturnSlotsAndKeepItsOrder() {
        SendCredits credits = new SendCredits(3);
        credits.submit(work("data+response", 2));
        credits.submit(work("big", 3));
        credits.submit(work("small", 1));

        assertThat(posted).as("small waits behind big: a response never overtakes its data")
                .containsExactly("data+response");
        assertThat(credits.waiting()).isEqualTo(2);

        credits.release(1);
        assertThat(posted).containsExactly("data+response");
        credits.release(1);
        assertThat(posted).containsExactly("data+response", "big");
        credits.release(3);
        assertThat(posted).containsExactly("data+response", "big", "small");
        assertThat(credits.inUse()).isEqualTo(1);
        assertThat(credits.waits()).isEqualTo(2);
    }

    @Test
    void shouldDropWaitingWorkWhenAbandoned() {
        SendCredits credits = new SendCredits(1);
        credits.submit(work("a", 1));
        credits.submit(work("b", 1));

        assertThat(credits.abandon()).isEqualTo(1);
        credits.release(1);
        assertThat(posted).containsExactly("a");
    }

    @Test
    void shouldRefuseImpossibleWorkAndOverRelease() {
        SendCredits credits = new SendCredits(2);
        assertThatThrownBy(() -> credits.submit(work("huge", 3))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> credits.release(1)).isInstanceOf(IllegalStateException.class);
    }
}
