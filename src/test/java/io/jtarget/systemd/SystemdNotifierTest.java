package io.jtarget.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SystemdNotifierTest {
    @TempDir
    Path dir;

    @Test
    void shouldDeliverReadyStoppingAndWatchdogToAPathSocket() throws Throwable {
        String path = dir.resolve("notify").toString();
        try (UnixDatagramReceiver systemd = new UnixDatagramReceiver(path)) {
            SystemdNotifier notifier = SystemdNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", path));
            assertThat(notifier.enabled()).isTrue();

            assertThat(notifier.ready("serving 1 target(s)")).isTrue();
            assertThat(systemd.receive()).isEqualTo("READY=1\nSTATUS=serving 1 target(s)");
            assertThat(notifier.watchdog()).isTrue();
            assertThat(systemd.receive()).isEqualTo("WATCHDOG=1");
            assertThat(notifier.stopping("draining")).isTrue();
            assertThat(systemd.receive()).isEqualTo("STOPPING=1\nSTATUS=draining");
        }
    }

    @Test
    void shouldDeliverToAnAbstractNamespaceSocket() throws Throwable {
        String name = "@jtarget-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramReceiver systemd = new UnixDatagramReceiver(name)) {
            assertThat(SystemdNotifier.to(name).watchdog()).isTrue();
            assertThat(systemd.receive()).isEqualTo("WATCHDOG=1");
        }
    }

    @Test
    void shouldDoNothingWithoutNotifySocketAndReportFailureWithoutListener() {
        assertThat(SystemdNotifier.fromEnvironment(Map.of()).enabled()).isFalse();
        assertThat(SystemdNotifier.fromEnvironment(Map.of()).ready("x")).isFalse();
        assertThat(SystemdNotifier.to(dir.resolve("nobody-listens").toString()).ready("x")).isFalse();
        assertThatThrownBy(() -> SystemdNotifier.to("relative/path")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SystemdNotifier.to("/" + "x".repeat(120))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadTheWatchdogIntervalOnlyWhenItIsMeantForThisProcess() {
        assertThat(SystemdNotifier.watchdogInterval(Map.of("WATCHDOG_USEC", "20000000"), 42))
                .contains(Duration.ofSeconds(20));
        assertThat(SystemdNotifier.watchdogInterval(Map.of("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", "42"), 42))
                .contains(Duration.ofSeconds(20));
        assertThat(SystemdNotifier.watchdogInterval(Map.of("WATCHDOG_USEC", "20000000", "WATCHDOG_PID", "7"), 42))
                .isEmpty();
        assertThat(SystemdNotifier.watchdogInterval(Map.of("WATCHDOG_USEC", "0"), 42)).isEmpty();
        assertThat(SystemdNotifier.watchdogInterval(Map.of("WATCHDOG_USEC", "soon"), 42)).isEmpty();
        assertThat(SystemdNotifier.watchdogInterval(Map.of(), 42)).isEmpty();
    }
}
