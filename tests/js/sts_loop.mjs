// GetCallerIdentity again and again through the SDK's default credential
// chain, printing the caller's ARN each time, until the file named by the
// first argument exists. Any failure ends it with its message and status 1.
import { existsSync } from "node:fs";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

const client = new STSClient({ credentials: fromNodeProviderChain() });
try {
  while (!existsSync(process.argv[2])) {
    const answer = await client.send(new GetCallerIdentityCommand({}));
    console.log(answer.Arn);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
} catch (error) {
  console.log(`ERROR: ${error.name}: ${error.message} ${error.Message ?? ""}`);
  process.exit(1);
}
