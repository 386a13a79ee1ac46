/**
 * Where the tests find the real services they run against. A missing service is
 * a failure with the command that starts it, never a silent skip.
 */

export function requireKafka(): string {
  const brokers = process.env.KAFKA_BROKERS
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: start Kafka with `bash scripts/services/kafka.sh start` and export the KAFKA_BROKERS it prints')
  return brokers
}

export function requireRedis(): string {
  const url = process.env.REDIS_URL
  if (!url) throw new Error('REDIS_URL is not set: start Redis with `bash scripts/services/redis.sh start` and export the REDIS_URL it prints')
  return url
}
