import type { NotifyEvent } from '../domain/notify-event.js'
import { type Sink, postJson } from './sink.js'

/** Block Kit for one event (https://api.slack.com/block-kit): header, fields, reasons, a button to the experiment. */
export function slackMessage(e: NotifyEvent): Record<string, unknown> {
  const icon = e.severity === 'page' ? ':rotating_light:' : e.severity === 'ticket' ? ':warning:' : ':information_source:'
  const reasons = e.reasons.slice(0, 5).map((r) => `• *${r.code}*: ${r.message}`).join('\n')
  return {
    text: `${e.severity.toUpperCase()} ${e.type}: ${e.summary}`.slice(0, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${e.type.replace(/_/g, ' ')}: ${e.experimentId}`.slice(0, 150) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${icon} ${e.summary}`.slice(0, 3000) },
        fields: [
          { type: 'mrkdwn', text: `*Severity*\n${e.severity}` },
          { type: 'mrkdwn', text: `*Namespace*\n${e.namespace}` },
          { type: 'mrkdwn', text: `*Owner*\n${e.owner || '-'}` },
          { type: 'mrkdwn', text: `*On-call*\n${e.onCall || '-'}` },
        ],
      },
      ...(reasons ? [{ type: 'section', text: { type: 'mrkdwn', text: reasons.slice(0, 3000) } }] : []),
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open experiment' }, url: e.link }] },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `event ${e.id}${e.runbook ? ` · runbook: ${e.runbook}` : ''}`.slice(0, 3000) }] },
    ],
  }
}

/** Pages and tickets (not info), outside maintenance windows, to a Slack incoming webhook. */
export class SlackSink implements Sink {
  readonly name = 'slack'
  constructor(private readonly url: string, private readonly timeoutMs: number) {}

  accepts(e: NotifyEvent): boolean {
    return e.severity !== 'info' && e.suppressedBy === null
  }

  async deliver(e: NotifyEvent): Promise<void> {
    await postJson(this.url, JSON.stringify(slackMessage(e)), {}, this.timeoutMs)
  }
}
