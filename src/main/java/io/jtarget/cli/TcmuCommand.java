package io.jtarget.cli;

import io.jtarget.backstore.FairQueueExecutor;
import io.jtarget.backstore.StoreContext;
import io.jtarget.config.StoreSettings;
import io.jtarget.tcmu.TcmuHandler;
import io.jtarget.tcmu.TcmuUnavailableException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code jtarget tcmu}: serve LIO user backstores (TCMU) until SIGTERM or Ctrl-C. */
@Command(
        name = "tcmu",
        mixinStandardHelpOptions = true,
        description = {
            "Serve LIO's user-space backstores (TCMU) whose configuration string names",
            "jtarget, until SIGTERM or Ctrl-C: dev_config=jtarget/ram:1G,",
            "jtarget/file:/srv/disk.img[:SIZE];wt, jtarget/rbd:POOL/IMAGE (store flags",
            "follow semicolons: LIO splits its control string at commas).",
            "Devices that exist are served at once; devices added, reconfigured and",
            "removed later are followed. Needs root and the target_core_user module."
        },
        sortOptions = false)
public final class TcmuCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--event-loops", paramLabel = "N", defaultValue = "0",
            description = "Event loop threads watching the devices (default: one per core).")
    int eventLoops;

    @Option(names = "--backend-threads", paramLabel = "N", defaultValue = "4",
            description = "Threads for blocking file I/O (default: ${DEFAULT-VALUE}).")
    int backendThreads;

    @Mixin
    StoreOptions storeOptions = new StoreOptions();

    @Override
    public Integer call() throws Exception {
        if (eventLoops < 0 || backendThreads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--event-loops must be 0 or more and --backend-threads at least 1");
        }
        StoreSettings settings = storeOptions.settings(spec.commandLine());
        PrintWriter err = spec.commandLine().getErr();
        if (!Epoll.isAvailable()) {
            err.println("jtarget: TCMU needs the native epoll transport: " + Epoll.unavailabilityCause());
            return 1;
        }
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(
                eventLoops > 0 ? eventLoops : Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("jtarget-net", true), EpollIoHandler.newFactory());
        ExecutorService pool = new ThreadPoolExecutor(backendThreads, backendThreads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), new DefaultThreadFactory("jtarget-io", true));
        try {
            TcmuHandler handler = startHandler(loops,
                    new StoreContext(FairQueueExecutor.over(pool), settings.options(), settings.ioTimeout()), err);
            if (handler == null) {
                return 1;
            }
            PrintWriter out = spec.commandLine().getOut();
            printBanner(handler, out);
            out.println("Stop with Ctrl-C or SIGTERM.");
            out.flush();
            CountDownLatch stop = new CountDownLatch(1);
            Signal.handle(new Signal("TERM"), s -> stop.countDown());
            Signal.handle(new Signal("INT"), s -> stop.countDown());
            stop.await();
            handler.close();
            return 0;
        } finally {
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Start the handler, or print one line saying why it cannot run here and return null. */
    static TcmuHandler startHandler(EventLoopGroup loops, StoreContext stores, PrintWriter err)
            throws InterruptedException {
        try {
            return TcmuHandler.start(loops, stores);
        } catch (TcmuUnavailableException e) {
            err.println("jtarget: " + e.getMessage());
        } catch (IOException e) {
            err.println("jtarget: cannot serve TCMU devices: " + e.getMessage());
        }
        err.flush();
        return null;
    }

    static void printBanner(TcmuHandler handler, PrintWriter out) {
        out.println("jtarget is serving LIO user backstores (TCMU handler '" + TcmuHandler.HANDLER_NAME + "')");
        for (String device : handler.describeDevices()) {
            out.println("  device  " + device);
        }
        out.flush();
    }
}
