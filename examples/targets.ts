// Targets shared by the cube examples. task() lets a target use its module's imports and values,
// which a self-contained inline function cannot.
import { task } from 'troupe';

export const myNumbers = [3, 4, 5, 6, 7, 8];

export const cube = task((numbers: number[]) => {
  for (const x of numbers) console.log(`${x} cube is ${x ** 3}`);
});

export const evenno = task((numbers: number[]) => {
  for (const x of numbers) if (x % 2 === 0) console.log(`${x} is an even number`);
});
