package io.jtarget.metrics.prometheus;

import io.jtarget.registry.ServedTarget;
import io.jtarget.net.IscsiServer;
import io.jtarget.scsi.LogicalUnit;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code serve --metrics HOST:PORT}: Prometheus text at {@code GET /metrics}, served by Netty on
 * the server's own event loops (no extra thread). Micrometer's {@link PrometheusMeterRegistry}
 * holds the JVM and process binders and the server-wide meters; the per-LUN and per-target
 * families come from {@link LunCollector}, registered in the same registry and read at scrape time.
 *
 * <p>A scrape runs on the loop that accepted the scrape connection and takes about a millisecond
 * per few dozen LUNs: the commands of connections on that loop wait that long, once per scrape
 * interval. Requests are small and bounded (8 KiB, 30 s idle), so a client cannot hold memory.
 */
public final class PrometheusEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PrometheusEndpoint.class);
    private static final int MAX_REQUEST_BYTES = 8192;
    private static final int IDLE_SECONDS = 30;
    /** Prometheus text exposition format 0.0.4. */
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String BACKEND_IO_HELP = "Backing-store operations by where they ran: pool (backend "
            + "threads) or inline (file I/O that completed on the network thread)";

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final Channel listener;

    private PrometheusEndpoint(PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics, Channel listener) {
        this.registry = registry;
        this.gcMetrics = gcMetrics;
        this.listener = listener;
    }

    /** Binds {@code address} (port 0 picks one: see {@link #boundAddress()}) and serves until {@link #close()}. */
    public static PrometheusEndpoint start(IscsiServer server, InetSocketAddress address) throws InterruptedException {
        PrometheusMeterRegistry registry = registry(server);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(server.eventLoops())
                .channel(server.serverChannelType())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS));
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192));
                        ch.pipeline().addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES));
                        ch.pipeline().addLast(new ScrapeHandler(registry));
                    }
                });
        try {
            Channel listener = bootstrap.bind(address).sync().channel();
            log.info("metrics at http://{}/metrics", hostPort((InetSocketAddress) listener.localAddress()));
            return new PrometheusEndpoint(registry, gc, listener);
        } catch (RuntimeException | InterruptedException e) {
            gc.close();
            registry.close();
            throw e;
        }
    }

    /** The registry with every binder and server meter, {@link LunCollector} included. */
    static PrometheusMeterRegistry registry(IscsiServer server) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ClassLoaderMetrics().bindTo(registry);
        // Heap, non-heap and the JVM buffer pools (direct, mapped): jvm_buffer_* gauges.
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        Gauge.builder("jtarget.connections", server, IscsiServer::connectionCount)
                .description("Open iSCSI connections, logins in progress included").register(registry);
        Gauge.builder("jtarget.data.out.buffer.bytes", server, IscsiServer::dataOutBufferBytes)
                .description("Write data buffered by all connections, waiting for its command to run")
                .register(registry);
        Gauge.builder("jtarget.backend.queue.depth", server, IscsiServer::backendQueueDepth)
                .description("Backing-store jobs waiting for a backend thread").register(registry);
        FunctionCounter.builder("jtarget.backend.io", server, IscsiServer::backendJobsSubmitted)
                .tag("path", "pool")
                .description(BACKEND_IO_HELP)
                .register(registry);
        FunctionCounter.builder("jtarget.backend.io", server, PrometheusEndpoint::inlineIo)
                .tag("path", "inline")
                .description(BACKEND_IO_HELP)
                .register(registry);
        PooledByteBufAllocator netty = PooledByteBufAllocator.DEFAULT;
        Gauge.builder("jtarget.netty.direct.memory.bytes", netty, a -> a.metric().usedDirectMemory())
                .description("Direct memory held by Netty's pooled allocator (PDUs, Data-In, Data-Out)")
                .register(registry);
        registry.getPrometheusRegistry().register(new LunCollector(server));
        return registry;
    }

    private static double inlineIo(IscsiServer server) {
        long n = 0;
        for (ServedTarget t : server.targets()) {
            for (LogicalUnit lu : t.logicalUnits()) {
                n += lu.device().inlineIoCount();
            }
        }
        return n;
    }

    public InetSocketAddress boundAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    /** The exposition text a scrape returns now. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        gcMetrics.close();
        registry.close();
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** GET /metrics; anything else is 404 or 405. */
    private static final class ScrapeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusMeterRegistry registry;

        ScrapeHandler(PrometheusMeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            FullHttpResponse response;
            String path = request.uri();
            int query = path.indexOf('?');
            if (query >= 0) {
                path = path.substring(0, query);
            }
            if (!request.decoderResult().isSuccess()) {
                response = text(ctx, HttpResponseStatus.BAD_REQUEST, "bad request\n");
            } else if (!path.equals("/metrics")) {
                response = text(ctx, HttpResponseStatus.NOT_FOUND, "metrics are at /metrics\n");
            } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                response = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET only\n");
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else {
                response = text(ctx, HttpResponseStatus.OK, registry.scrape());
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
                if (request.method().equals(HttpMethod.HEAD)) {
                    response.content().clear();
                }
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            HttpUtil.setKeepAlive(response, keepAlive);
            var written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
            ByteBuf content = ByteBufUtil.writeUtf8(ctx.alloc(), body);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            HttpUtil.setContentLength(response, content.readableBytes());
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
