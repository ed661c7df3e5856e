package io.fleetstats.edge.statsd;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.Locale;

/**
 * The socket layer under the statsd listeners: Linux epoll when Netty's native library loads (it
 * reads many datagrams per system call with {@code recvmmsg}), else the JDK's NIO. Netty's {@code
 * -Dio.netty.transport.noNative=true} forces NIO.
 */
public enum StatsdTransport {
  EPOLL,
  NIO;

  /** Epoll when available here, else NIO. */
  public static StatsdTransport best() {
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  /** For the event loop group that runs the listeners. */
  public IoHandlerFactory ioHandlerFactory() {
    return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
  }

  Class<? extends DatagramChannel> datagramChannel() {
    return this == EPOLL ? EpollDatagramChannel.class : NioDatagramChannel.class;
  }

  Class<? extends ServerChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** Lower-case name, for the start-up log line. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
