//! What every route handler returns: a response, or the error the router turns into one.

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;

use crate::http::ApiError;

pub(crate) type Answer = Result<ApiGatewayV2httpResponse, ApiError>;
