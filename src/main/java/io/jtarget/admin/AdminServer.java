package io.jtarget.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.jtarget.config.ConfigError;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: HTTP/1.1 with JSON bodies on a Unix domain socket, {@value #SOCKET_NAME} in the
 * data directory, mode 0600 (only the server's user may connect; the socket is created under a
 * temporary name, restricted, then renamed into place). Netty serves it on the server's own event
 * loops; each request runs on one {@code jtarget-admin} thread, one at a time, since a change may
 * block (opening a store, draining a LU). Endpoints are {@link Route}s: another module adds one by
 * passing more routes. Documented in docs/admin-api.md.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    public static final String SOCKET_NAME = "admin.sock";
    private static final String TEMP_SOCKET_NAME = ".admin.sock.tmp";
    /** Largest request body (an applied configuration file). */
    private static final int MAX_REQUEST_BYTES = 4 * 1024 * 1024;

    /** JSON as the API writes it: kebab-case names, absent values left out. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    /**
     * One endpoint.
     *
     * @param method GET, POST, PUT, DELETE
     * @param pattern a path such as {@code /v1/targets/{target}/luns/{lun}}; a {@code {name}} segment
     *     matches one path segment, URL-decoded, available as {@link Request#param}
     */
    public record Route(String method, String pattern, Handler handler) {}

    /** Answers one request: a record, list or map becomes JSON; a {@link Text} is sent as it is. */
    @FunctionalInterface
    public interface Handler {
        Object handle(Request request) throws ChangeRefused;
    }

    /** A response body that is not JSON (the configuration as YAML). */
    public record Text(String contentType, String body) {}

    /** One request: path parameters, query parameters, and the body as text. */
    public record Request(String method, String path, Map<String, String> params, Map<String, List<String>> query,
            String body) {
        public String param(String name) {
            return params.get(name);
        }

        /** A query flag such as {@code ?force=true}. */
        public boolean flag(String name) {
            List<String> v = query.get(name);
            return v != null && !v.isEmpty() && (v.getFirst().isEmpty() || Boolean.parseBoolean(v.getFirst()));
        }

        public String query(String name) {
            List<String> v = query.get(name);
            return v == null || v.isEmpty() ? null : v.getFirst();
        }

        /** The body as JSON; an empty body is an empty object. */
        public JsonNode json() throws ChangeRefused {
            try {
                return body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            } catch (JacksonException e) {
                throw new ChangeRefused(ChangeRefused.Kind.BAD_VALUE, "request body is not JSON: "
                        + e.getOriginalMessage());
            }
        }
    }

    private final Channel listener;
    private final Path socket;
    private final ExecutorService worker;

    private AdminServer(Channel listener, Path socket, ExecutorService worker) {
        this.listener = listener;
        this.socket = socket;
        this.worker = worker;
    }

    /**
     * Listen on {@code dataDir/admin.sock}.
     *
     * @param loops native epoll loops (Unix domain sockets need them)
     * @throws IOException when another server answers on the socket, or it cannot be created
     */
    public static AdminServer start(Path dataDir, EventLoopGroup loops, List<Route> routes) throws IOException {
        Path socket = dataDir.resolve(SOCKET_NAME).toAbsolutePath();
        Path temp = dataDir.resolve(TEMP_SOCKET_NAME).toAbsolutePath();
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("another jtarget serves " + dataDir + " (" + socket + " answers)");
            }
            Files.delete(socket); // left behind by a server that did not stop cleanly
        }
        Files.deleteIfExists(temp);
        ExecutorService worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("jtarget-admin", true));
        Router router = new Router(routes);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_REQUEST_BYTES),
                                new RequestHandler(router, worker));
                    }
                });
        Channel listener;
        try {
            listener = bootstrap.bind(new DomainSocketAddress(temp.toString())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            worker.shutdownNow();
            throw new IOException("interrupted while binding " + socket, e);
        } catch (RuntimeException e) {
            worker.shutdownNow();
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        try {
            Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            Files.move(temp, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            listener.close().awaitUninterruptibly();
            worker.shutdownNow();
            throw e;
        }
        LOG.info("admin API on {}", socket);
        return new AdminServer(listener, socket, worker);
    }

    /** True when a server accepts connections on {@code socket}. */
    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        listener.close().awaitUninterruptibly();
        worker.shutdown();
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", socket, e.toString());
        }
    }

    /** Matches a request to its route. */
    private static final class Router {
        private final List<Route> routes;

        Router(List<Route> routes) {
            this.routes = List.copyOf(routes);
        }

        FullHttpResponse dispatch(String method, String uri, String body) {
            QueryStringDecoder decoder = new QueryStringDecoder(uri);
            String[] parts = split(decoder.rawPath());
            boolean pathKnown = false;
            for (Route r : routes) {
                Map<String, String> params = match(split(r.pattern()), parts);
                if (params == null) {
                    continue;
                }
                pathKnown = true;
                if (!r.method().equals(method)) {
                    continue;
                }
                try {
                    Object result = r.handler().handle(new Request(method, decoder.path(), params, decoder.parameters(), body));
                    return ok(result);
                } catch (ChangeRefused e) {
                    return error(HttpResponseStatus.valueOf(e.kind().httpStatus), e.getMessage(), e.errors());
                } catch (RuntimeException e) {
                    LOG.error("admin request {} {} failed", method, uri, e);
                    return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, e.toString(), List.of());
                }
            }
            return pathKnown ? error(HttpResponseStatus.METHOD_NOT_ALLOWED, method + " is not allowed on " + decoder.path(), List.of())
                    : error(HttpResponseStatus.NOT_FOUND, "no such endpoint: " + decoder.path(), List.of());
        }

        private static String[] split(String path) {
            String p = path.startsWith("/") ? path.substring(1) : path;
            return p.isEmpty() ? new String[0] : p.split("/", -1);
        }

        private static Map<String, String> match(String[] pattern, String[] parts) {
            if (pattern.length != parts.length) {
                return null;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < pattern.length; i++) {
                String p = pattern[i];
                if (p.startsWith("{") && p.endsWith("}")) {
                    params.put(p.substring(1, p.length() - 1), QueryStringDecoder.decodeComponent(parts[i]));
                } else if (!p.equals(parts[i])) {
                    return null;
                }
            }
            return params;
        }

        private static FullHttpResponse ok(Object result) {
            if (result instanceof Text text) {
                return response(HttpResponseStatus.OK, text.contentType(), text.body());
            }
            try {
                return response(HttpResponseStatus.OK, "application/json", JSON.writeValueAsString(result) + "\n");
            } catch (JacksonException e) {
                return error(HttpResponseStatus.INTERNAL_SERVER_ERROR, e.toString(), List.of());
            }
        }

        private static FullHttpResponse error(HttpResponseStatus status, String message, List<ConfigError> errors) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("error", message);
            if (!errors.isEmpty()) {
                List<String> lines = new ArrayList<>();
                errors.forEach(e -> lines.add(e.toString()));
                body.put("errors", lines);
            }
            try {
                return response(status, "application/json", JSON.writeValueAsString(body) + "\n");
            } catch (JacksonException e) {
                return response(status, "text/plain", message + "\n");
            }
        }

        private static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType + "; charset=utf-8");
            r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return r;
        }
    }

    /** Hands each request to the admin thread and writes its answer back on the channel's loop. */
    private static final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Router router;
        private final ExecutorService worker;

        RequestHandler(Router router, ExecutorService worker) {
            this.router = router;
            this.worker = worker;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String method = request.method().name();
            String uri = request.uri();
            String body = request.content().toString(StandardCharsets.UTF_8);
            worker.execute(() -> {
                FullHttpResponse response = router.dispatch(method, uri, body);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("admin connection failed: {}", cause.toString());
            ctx.close();
        }
    }
}
