import { run } from "tsprof/profile";

function foo() {
  let sum = 0;
  for (let i = 0; i < 10000; i++) sum += i;
  return sum;
}

run(foo);
