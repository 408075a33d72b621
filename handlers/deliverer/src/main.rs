//! Lambda entry point: wiring only. The logic is `dropgate_deliverer::handle`.

use aws_lambda_events::event::sqs::SqsEvent;
use dropgate_infra::{Clients, Config};
use lambda_runtime::{Error, LambdaEvent, service_fn};

// One invocation at a time; its sends run concurrently on this one thread (they wait on the
// network, not the CPU).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dropgate_infra::logging::init();
    let config = Config::from_env()?;
    let clients = Clients::from_env(&config, "dropgate-deliverer")?;
    let deps = dropgate_deliverer::Deps::new(&config, &clients)?;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(dropgate_deliverer::handle(event.payload, deps).await)
    }))
    .await
}
