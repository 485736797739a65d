// What @actions/core does for inputs and outputs, without the dependency: INPUT_* in, GITHUB_OUTPUT out.
import fs from 'node:fs';
const greeting = `hello ${process.env.INPUT_WHO} from ${process.env.GITHUB_ACTION_PATH.split('/').pop()}`;
console.log(greeting);
fs.appendFileSync(process.env.GITHUB_OUTPUT, `greeting=${greeting}\n`);
