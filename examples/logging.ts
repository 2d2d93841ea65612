// The tutorial's logging example: multiprocessing's logger printing to stderr.
//
//   logger = multiprocessing.log_to_stderr()
//   logger.setLevel(logging.INFO)
//   logger.warning('Error has occurred')
//
// Records from every process go through one log sink in the main thread, so their lines never
// interleave; at INFO a child process's lifecycle is logged too, under its own name.
import { INFO, logToStderr, Process } from 'troupe/multiprocessing';

const logger = logToStderr();
logger.setLevel(INFO);
logger.warning('Error has occurred');

const p = new Process({ target: () => {}, name: 'Worker-1' });
p.start();
await p.join();
logger.info('%s exited with code %d', p.name, p.exitcode);
