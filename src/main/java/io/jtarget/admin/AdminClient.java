package io.jtarget.admin;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Talks to a running server's admin API (docs/admin-api.md) over {@code DIR/admin.sock}: one request per connection. */
public final class AdminClient implements AutoCloseable {
    /** Longer than a LUN removal may drain (10 s by default) plus its abort. */
    private static final long TIMEOUT_SECONDS = 60;
    private static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

    /** An answer: the HTTP status and the body. */
    public record Response(int status, String body) {
        public boolean ok() {
            return status / 100 == 2;
        }
    }

    private final Path socket;
    private final EventLoopGroup loop;

    private AdminClient(Path socket) {
        this.socket = socket;
        this.loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("jtarget-admin-client", true),
                EpollIoHandler.newFactory());
    }

    /** @throws IOException naming the data directory when no server listens there */
    public static AdminClient forDataDir(Path dataDir) throws IOException {
        Path socket = dataDir.resolve(AdminServer.SOCKET_NAME);
        if (!Files.exists(socket)) {
            throw new IOException("no jtarget server runs on " + dataDir + " (" + socket + " is missing; "
                    + "start one with: jtarget serve --data-dir " + dataDir + ")");
        }
        return new AdminClient(socket);
    }

    public Response send(String method, String path, String body) throws IOException {
        CompletableFuture<Response> answer = new CompletableFuture<>();
        Bootstrap bootstrap = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<DomainSocketChannel>() {
                    @Override
                    protected void initChannel(DomainSocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                                new SimpleChannelInboundHandler<FullHttpResponse>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse r) {
                                        answer.complete(new Response(r.status().code(),
                                                r.content().toString(StandardCharsets.UTF_8)));
                                        ctx.close();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        answer.completeExceptionally(new IOException("the server closed the connection"));
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        answer.completeExceptionally(cause);
                                        ctx.close();
                                    }
                                });
                    }
                });
        try {
            Channel ch = bootstrap.connect(new DomainSocketAddress(socket.toString())).sync().channel();
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), path,
                    Unpooled.wrappedBuffer(bytes));
            request.headers().set(HttpHeaderNames.HOST, "localhost");
            request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ch.writeAndFlush(request);
            return answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no answer from " + socket + " in " + TIMEOUT_SECONDS + " s");
        } catch (RuntimeException e) {
            throw new IOException("cannot reach " + socket + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
