//! Lambda entry point of the `auth` function (the five `/auth/*` routes): wiring only. The
//! logic is `dropgate_api::handle_auth`.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use dropgate_infra::{Clients, Config};
use lambda_runtime::{Error, LambdaEvent, service_fn};

// Lambda runs one invocation at a time: one thread is enough, and spares the start of a pool.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    dropgate_infra::logging::init();
    let config = Config::from_env()?;
    let clients = Clients::from_env(&config, "dropgate-auth")?;
    let deps = dropgate_api::AuthDeps::new(&config, &clients)?;
    let deps = &deps;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<_, Error>(dropgate_api::handle_auth(event.payload, deps).await)
        },
    ))
    .await
}
