// The foundation's main job until the replay harness lands: assemble one budgeted context from
// a real recorded tau-bench airline conversation and print the per-section token table.
import { readFileSync } from 'node:fs';
import { ContextBudget, sharedCounter, type ChatMessage } from '../core/index.js';

const data = (file: string) => readFileSync(new URL(`../datasets/data/tau-bench-airline/${file}`, import.meta.url), 'utf8');
const [episode] = JSON.parse(data('gpt-4o-airline.json')) as Array<{ info: { task: { user_id: string } }; traj: ChatMessage[] }>;
const users = JSON.parse(data('users.json')) as Record<string, unknown>;
const userId = episode!.info.task.user_id;
const messages = episode!.traj.slice(1);
const lastUser = messages.map((m) => m.role).lastIndexOf('user');

const render = (m: ChatMessage) => `${m.role}: ${m.content ?? JSON.stringify(m.tool_calls)}`;
const budget = new ContextBudget({ counter: sharedCounter('gpt-4o') });
budget.addSection('system_prompt', 'You are the airline support agent. Follow the policy; confirm before changing bookings.');
budget.addSection('user_profile', JSON.stringify(users[userId]));
budget.addSection('retrieved_context', data('policy.md'));
budget.addSection('recent_messages', messages.slice(0, lastUser).filter((m) => m.role !== 'tool').map(render).join('\n'));
budget.addSection('tool_results', messages.filter((m) => m.role === 'tool').map((m) => m.content).join('\n'));
budget.addSection('current_query', messages[lastUser]!.content ?? '');
const built = budget.build();

console.log(`context for ${userId}: ${built.tokens} of ${built.total} tokens (${built.messageTokens} as chat messages)\n`);
console.table(built.sections.map((s) => ({ section: s.name, priority: s.priority, allocation: s.allocation, added: s.originalTokens, kept: s.tokens, cut: s.cutTokens })));
for (const step of built.overflow) console.log(`overflow: ${step.action} ${step.section} ${step.fromTokens} -> ${step.toTokens} tokens`);
