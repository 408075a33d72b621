//! The smallest lambda_runtime function: echoes its event. bench-lambda compares the real
//! functions' cold init with this one's (built the same way, by scripts/build-lambdas.sh --bench).

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move { Ok::<_, Error>(event.payload) },
    ))
    .await
}
