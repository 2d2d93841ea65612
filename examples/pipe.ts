// The tutorial's Pipe example: the child sends a list through its end of the pipe and closes it;
// the parent receives it.
import { Pipe, Process, type Connection } from 'troupe/multiprocessing';

// Self-contained, so it travels to the worker as source (a task() export could use imports).
function myfunction(conn: Connection<string[]>): void {
  conn.send(['hi!! I am Python']);
  conn.close();
}

const [parentConn, childConn] = Pipe<string[]>();
const p = new Process({ target: myfunction, args: [childConn] });
p.start();
console.log(await parentConn.recv());
await p.join();
