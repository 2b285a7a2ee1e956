/** Who asked for something: the bot's own policy, a person in Slack, a script, or a drill. */
export type Trigger = 'auto' | 'slack' | 'cli' | 'api' | 'drill';
