import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import type { Logger } from '../logger.js';

/** A message received with QoS 1: the broker redelivers it until ack() is called on this connection. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** MQTT v5 user properties sent by the publisher. */
  userProperties: Record<string, string>;
  ack(): void;
}

export interface SessionOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  /** Topic filter, e.g. $share/serium/serium/+/+/+/+ */
  subscription: string;
  /** MQTT v5 receive maximum: how many unacknowledged messages the broker may send at once. */
  receiveMaximum: number;
  /** MQTT v5 maximum packet size: the broker does not send larger messages. */
  maximumPacketSize: number;
  keepaliveSeconds: number;
  log: Logger;
  onMessage(message: InboundMessage): void;
  /** Told when the connection is lost, so held messages can be dropped (the broker resends them). */
  onDisconnect(): void;
}

/**
 * A subscriber connection that holds acknowledgements: PUBACK goes out only when the caller
 * calls ack(), after the reading committed. mqtt.js sends PUBACK before it hands over the next
 * message, which allows one message in flight per connection; this session lets the broker send
 * up to receiveMaximum messages so the ingest can commit them in batches.
 *
 * The session is persistent (clean start off, session kept for a week), so messages published
 * while Serium is down wait at the broker. It reconnects by itself with backoff.
 */
export class MqttSession {
  private socket: Socket | undefined;
  private generation = 0;
  private stopped = false;
  private ready: Promise<void>;
  private markReady!: () => void;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  private awaitingPong = false;
  connected = false;

  constructor(private readonly opts: SessionOptions) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Connects and resolves once the subscription is granted (the first time). */
  start(): Promise<void> {
    this.open();
    return this.ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      this.send({ cmd: 'disconnect' } as Packet);
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  private open(): void {
    const url = new URL(this.opts.url);
    const port = Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883));
    const host = url.hostname;
    const socket = url.protocol === 'mqtts:' ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
    const generation = ++this.generation;
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: this.opts.protocolVersion });
    parser.on('packet', (packet: Packet) => this.handle(packet, generation));
    parser.on('error', (err: Error) => {
      this.opts.log.warn('mqtt protocol error', { error: err.message });
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    // a broker (or proxy) that takes the connection but never answers CONNECT is left for another try
    const connackTimer = setTimeout(() => {
      if (generation === this.generation && !this.connected) {
        this.opts.log.warn('mqtt broker did not answer CONNECT; reconnecting');
        socket.destroy();
      }
    }, Math.max(5000, this.opts.keepaliveSeconds * 1000));
    connackTimer.unref();
    socket.once('close', () => clearTimeout(connackTimer));
    socket.on('error', (err) => this.opts.log.warn('mqtt connection error', { error: err.message }));
    socket.on('close', () => this.lost(generation));
    socket.once(url.protocol === 'mqtts:' ? 'secureConnect' : 'connect', () => {
      this.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: this.opts.protocolVersion,
        clientId: this.opts.clientId,
        clean: false,
        keepalive: this.opts.keepaliveSeconds,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: Buffer.from(decodeURIComponent(url.password)) } : {}),
        ...(this.opts.protocolVersion === 5
          ? { properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: this.opts.receiveMaximum, maximumPacketSize: this.opts.maximumPacketSize } }
          : {}),
      } as Packet);
    });
  }

  private handle(packet: Packet, generation: number): void {
    if (generation !== this.generation) return;
    switch (packet.cmd) {
      case 'connack': {
        const code = (packet as { reasonCode?: number; returnCode?: number }).reasonCode ?? (packet as { returnCode?: number }).returnCode ?? 0;
        if (code !== 0) {
          this.opts.log.error('mqtt connection refused', { code });
          this.socket?.destroy();
          return;
        }
        this.connected = true;
        this.backoffMs = 100;
        this.startPing();
        this.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: this.opts.subscription, qos: 1 }] } as Packet);
        return;
      }
      case 'suback': {
        const granted = (packet as { granted: (number | object)[] }).granted[0];
        if (typeof granted !== 'number' || granted > 2) {
          this.opts.log.error('mqtt subscription refused', { subscription: this.opts.subscription, granted });
          this.socket?.destroy();
          return;
        }
        this.opts.log.info('mqtt subscribed', { subscription: this.opts.subscription });
        this.markReady();
        return;
      }
      case 'publish':
        return this.received(packet as IPublishPacket, generation);
      case 'pubrel':
        // QoS 2 is downgraded to 1 by the subscription; answer anyway so the broker never stalls
        this.send({ cmd: 'pubcomp', messageId: packet.messageId } as Packet);
        return;
      case 'pingresp':
        this.awaitingPong = false;
        return;
      case 'disconnect':
        this.opts.log.warn('mqtt broker disconnected us', { reason: (packet as { reasonCode?: number }).reasonCode });
        this.socket?.destroy();
        return;
      default:
        return;
    }
  }

  private received(packet: IPublishPacket, generation: number): void {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const userProperties: Record<string, string> = {};
    for (const [k, v] of Object.entries(packet.properties?.userProperties ?? {})) userProperties[k] = Array.isArray(v) ? v[0] : v;
    let acked = packet.qos === 0;
    if (packet.qos === 2) this.send({ cmd: 'pubrec', messageId: packet.messageId } as Packet);
    this.opts.onMessage({
      topic: packet.topic,
      payload,
      userProperties,
      ack: () => {
        if (acked) return;
        acked = true;
        // an ack on a later connection would name another message: the broker resends this one
        if (generation === this.generation && packet.qos === 1) this.send({ cmd: 'puback', messageId: packet.messageId } as Packet);
      },
    });
  }

  private startPing(): void {
    clearInterval(this.pingTimer);
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.opts.log.warn('mqtt broker stopped answering; reconnecting');
        this.socket?.destroy();
        return;
      }
      this.awaitingPong = true;
      this.send({ cmd: 'pingreq' } as Packet);
    }, (this.opts.keepaliveSeconds * 1000) / 2);
    this.pingTimer.unref();
  }

  private lost(generation: number): void {
    if (generation !== this.generation) return;
    const was = this.connected;
    this.connected = false;
    clearInterval(this.pingTimer);
    this.opts.onDisconnect();
    if (this.stopped) return;
    if (was) this.opts.log.warn('mqtt connection lost; reconnecting');
    this.reconnectTimer = setTimeout(() => this.open(), this.backoffMs);
    this.reconnectTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 5000);
  }

  private send(packet: Packet): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    mqttPacket.writeToStream(packet, socket, { protocolVersion: this.opts.protocolVersion });
  }
}
