/**
 * `queuectl completion bash|zsh|fish`: a completion script for the shell, and `queuectl complete
 * -- <words>`, which that script calls on Tab. Both come from the command tree itself through
 * @bomb.sh/tab (its commander adapter walks every command, option and argument, and offers the
 * choices the table gives: states, config keys), so completion never falls behind the commands.
 */
import type { PlainCommand } from '../command-spec.js';

/** The completion model of the whole program (built without these two commands of its own). */
async function completionModel() {
  const [{ buildProgram }, { default: tab }] = await Promise.all([
    import('../program.js'),
    import('@bomb.sh/tab/commander'),
  ]);
  return tab(buildProgram(['completion', 'complete']), { completionCommandName: 'completion' });
}

export const completionCommand: PlainCommand = {
  kind: 'plain',
  async run({ args }) {
    const shell = args[0]!;
    if (!['bash', 'zsh', 'fish'].includes(shell)) {
      const { ValidationError } = await import('../../core/errors.js');
      throw new ValidationError(`completion scripts exist for bash, zsh and fish, not "${shell}"`);
    }
    (await completionModel()).setup('queuectl', 'queuectl', shell);
  },
};

export const completeCommand: PlainCommand = {
  kind: 'plain',
  async run({ rawArgs }) {
    const at = rawArgs.indexOf('--');
    (await completionModel()).parse(at === -1 ? [] : rawArgs.slice(at + 1));
  },
};
