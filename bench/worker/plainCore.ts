// The token command's floor: plain `node` starting and importing @azure/core-rest-pipeline (given as argv[2]),
// then one line on stdout, which the harness times from the spawn, as it times the command's token line.
await import(process.argv[2]!);
process.stdout.write("imported\n");
