/**
 * Type-level check that pulsar-client's published declarations (pulsar-client@1.18.0 index.d.ts)
 * agree with consilium's `pulsar-client-like.ts`: a native `Pulsar.Client` and `Pulsar.MessageId`
 * satisfy `PulsarBinding` as is, and what the runtime hands to a client (configs, messages) is
 * accepted by the native types. Run by `.ci/check-pulsar-client-types.sh`
 * (`npm run typecheck:pulsar-client`), never by the main type-check: it needs `pulsar-client`,
 * which is installed into `.pulsar-typecheck/` with `--ignore-scripts` (no native addon).
 */
import type * as Pulsar from "pulsar-client";
import type {
  ConsumerConfigLike,
  ConsumerLike,
  DeadLetterPolicyLike,
  InitialPosition,
  MessageIdLike,
  MessageIdStatic,
  MessageLike,
  ProducerConfigLike,
  ProducerLike,
  ProducerMessageLike,
  PulsarBinding,
  PulsarClientLike,
  ReaderConfigLike,
  ReaderLike,
  SubscriptionType,
} from "../lib/transports/pulsar-client-like.js";

/** Compiles only when A is assignable to B (checked without distributing unions). */
type Assignable<A, B> = [A] extends [B] ? true : false;
function check<T extends true>(_proof?: T): void {}

// ---- the native objects satisfy the interfaces the runtime uses --------------------------------
check<Assignable<Pulsar.Client, PulsarClientLike>>();
check<Assignable<typeof Pulsar.MessageId, MessageIdStatic>>();
check<Assignable<Pulsar.MessageId, MessageIdLike>>();
check<Assignable<Pulsar.Producer, ProducerLike>>();
check<Assignable<Pulsar.Consumer, ConsumerLike>>();
check<Assignable<Pulsar.Reader, ReaderLike>>();
check<Assignable<Pulsar.Message, MessageLike>>();

// a binding built from the native addon, exactly as users write it
declare const nativeClient: Pulsar.Client;
declare const NativeMessageId: typeof Pulsar.MessageId;
export const nativeBinding: PulsarBinding = { client: nativeClient, MessageId: NativeMessageId };

// ---- what the runtime passes in is accepted by the native declarations -------------------------
// (method parameters are checked bivariantly by TypeScript, so these are checked one by one)
check<Assignable<ProducerConfigLike, Pulsar.ProducerConfig>>();
check<Assignable<ConsumerConfigLike, Pulsar.ConsumerConfig>>();
check<Assignable<ReaderConfigLike, Pulsar.ReaderConfig>>();
check<Assignable<ProducerMessageLike, Pulsar.ProducerMessage>>();
check<Assignable<DeadLetterPolicyLike, Pulsar.DeadLetterPolicy>>();
check<Assignable<SubscriptionType, Pulsar.SubscriptionType>>();
check<Assignable<Pulsar.SubscriptionType, SubscriptionType>>();
check<Assignable<InitialPosition, Pulsar.InitialPosition>>();
check<Assignable<Pulsar.InitialPosition, InitialPosition>>();
check<Assignable<MessageIdLike, Pulsar.MessageId>>();

// ---- the check is real: the native declarations were loaded, not `any` -------------------------
// @ts-expect-error the native Message has more methods (getOrderingKey, …) than MessageLike
check<Assignable<MessageLike, Pulsar.Message>>();
// @ts-expect-error the native Client has getPartitionsForTopic, which PulsarClientLike leaves out
check<Assignable<PulsarClientLike, Pulsar.Client>>();
