package io.jtarget.backstore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DescriptorUsersTest {

    @Test
    @Timeout(10)
    void shouldCloseOnlyOnceTheCallInFlightHasExited() throws Exception {
        DescriptorUsers users = new DescriptorUsers();
        assertThat(users.enter()).isTrue();
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(users::close);
        try {
            closing.get(200, TimeUnit.MILLISECONDS);
            throw new AssertionError("close returned while a call was in flight");
        } catch (TimeoutException expected) {
            // still waiting for the call
        }
        assertThat(users.enter()).as("no new call once closing began").isFalse();
        users.exit();
        assertThat(closing.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void shouldLetExactlyOneCallerCloseAndRefuseCallsAfterwards() {
        DescriptorUsers users = new DescriptorUsers();
        assertThat(users.enter()).isTrue();
        users.exit();
        assertThat(users.close()).isTrue();
        assertThat(users.close()).isFalse();
        assertThat(users.close()).isFalse();
        assertThat(users.enter()).isFalse();
    }
}
