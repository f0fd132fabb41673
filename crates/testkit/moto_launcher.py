"""Starts moto's server with EventBridge's delivery patched (to an API destination, to another
event bus, the event's `time`) and CloudWatch's alarm state-change events added.

moto 5.1.22 (moto/events/models.py, Rule.send_to_targets) invokes an API destination only when
MOTO_EVENTS_INVOKE_HTTP=true, and then sends no body and no authorization header. EventBridge
sends the event, rendered by the target's input transformer, with the connection's
authorization. This launcher replaces exactly that branch and leaves every other target to
moto, imitating:

- PutTargets, InputTransformer (EventBridge API reference,
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html):
  the target receives InputTemplate with each <name> filled from InputPathsMap's JSON path into
  the event (moto's own EventTemplateParser does the filling); without a transformer, the
  event itself.
- CreateConnection, ConnectionApiKeyAuthResponseParameters / CreateConnectionApiKeyAuthRequestParameters
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateConnection.html):
  with API_KEY authorization, every invocation carries the header ApiKeyName: ApiKeyValue.
- CreateApiDestination (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateApiDestination.html):
  the request goes to InvocationEndpoint with HttpMethod, the target's HttpParameters added.

moto also forwards an event to an event bus of another account or Region as a new PutEvents
there, so the event arrives with that bus's account and region and a new id, and it keeps an
event's `time` as Unix seconds (a number). EventBridge keeps an event's metadata as it travels
and writes `time` as an ISO 8601 timestamp. The launcher hands an event-bus target's event, as
it is, to the receiving bus's rules, and writes `time` as a timestamp in what it delivers to an
API destination (inside moto it stays a number: moto's own targets expect one). It imitates:

- AWS service event metadata (EventBridge User Guide,
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html): `account` and
  `region` are where the event originated, `time` is a timestamp such as
  "2017-12-22T18:43:48Z"; PutTargets with an event bus ARN as the target
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html, and "Sending
  and receiving events between AWS accounts", eb-cross-account.html): the receiving bus's rules
  match the event as sent, with its metadata.

And moto's CloudWatch sends no event when an alarm changes state (SetAlarmState included);
CloudWatch sends "CloudWatch Alarm State Change" to the default bus of the alarm's account and
Region. The launcher imitates:

- Alarm events and EventBridge (CloudWatch User Guide,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html):
  source aws.cloudwatch, the alarm's ARN in resources, detail with alarmName, state and
  previousState (value, reason, timestamp), sent when the state's value changes.

Used only by the tests that need delivery (groundwork_testkit::Moto::start_delivering);
everything else runs on stock moto_server. ADR 0019 (docs/decisions/) records why this is a
launcher and not the test proxy of ADR 0014: the proxy sits between the SDK and moto and never
sees the request moto itself makes after an accepted PutEvents.

Usage: python moto_launcher.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import copy
import datetime
import json
import sys
import threading
import uuid

import requests
from moto.cloudwatch import models as cloudwatch_models
from moto.events import models
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

_LOCK = threading.Lock()
_ORIGINAL = models.Rule.send_to_targets


def _deliver(rule, target, original_event, transform_input):
    backend = models.events_backends[rule.account_id][rule.region_name]
    # moto keeps `time` as Unix seconds inside (its own targets' templates expect a number);
    # what leaves for the API destination carries EventBridge's timestamp.
    original_event = dict(original_event, time=_iso8601(original_event.get("time")))
    arn = parse_arn(target["Arn"])
    destination = backend.destinations[arn.resource_id.split("/")[0]]
    transformer = target.get("InputTransformer")
    if transform_input and transformer:
        body = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=original_event,
        )
    else:
        body = original_event
    parameters = target.get("HttpParameters", {})
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers.update(parameters.get("HeaderParameters", {}))
    connection = next(
        (c for c in backend.connections.values() if c.arn == destination.connection_arn), None
    )
    if connection is not None and connection.authorization_type == "API_KEY":
        key = connection.auth_parameters.get("ApiKeyAuthParameters", {})
        if key.get("ApiKeyName"):
            headers[key["ApiKeyName"]] = key.get("ApiKeyValue", "")
    query = parameters.get("QueryStringParameters", {})
    url = destination.invocation_endpoint
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    requests.request(
        method=destination.http_method,
        url=url,
        headers=headers,
        data=json.dumps(body).encode("utf-8"),
        timeout=10,
    )


def _forward(target, event):
    """To an event bus (another account's, another Region's): its rules see the event as sent."""
    arn = parse_arn(target["Arn"])
    bus = models.events_backends[arn.account][arn.region].describe_event_bus(arn.resource_id)
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))


def _iso8601(time):
    """moto's Unix seconds as EventBridge's timestamp; a timestamp stays as it is."""
    if isinstance(time, (int, float)):
        moment = datetime.datetime.fromtimestamp(time, datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return time


def send_to_targets(self, original_event, transform_input=True):
    """moto's Rule.send_to_targets, with API destinations and event buses as EventBridge does."""
    if not self.event_pattern.matches_event(original_event):
        return
    ours = [
        t
        for t in self.targets
        if parse_arn(t["Arn"]).service == "events"
        and parse_arn(t["Arn"]).resource_type in ("api-destination", "event-bus")
    ]
    for target in ours:
        if parse_arn(target["Arn"]).resource_type == "event-bus":
            _forward(target, original_event)
        else:
            _deliver(self, target, original_event, transform_input)
    if len(ours) == len(self.targets):
        return
    with _LOCK:
        kept = self.targets
        self.targets = [t for t in kept if t not in ours]
        try:
            _ORIGINAL(self, original_event, transform_input)
        finally:
            self.targets = kept


models.Rule.send_to_targets = send_to_targets

_UPDATE_STATE = cloudwatch_models.Alarm.update_state


def _timestamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def update_state(self, reason, reason_data, state_value):
    """moto's Alarm.update_state, then CloudWatch's state-change event on the default bus."""
    previous = {
        "value": self.state_value,
        "reason": self.state_reason,
        "timestamp": _timestamp(self.state_updated_timestamp),
    }
    _UPDATE_STATE(self, reason, reason_data, state_value)
    if previous["value"] == state_value:
        return
    account = parse_arn(self.alarm_arn).account
    now = datetime.datetime.now(datetime.timezone.utc)
    # `time` (and moto's `ingestion-time`) in moto's Unix seconds, like the events of its PutEvents.
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": now.timestamp(),
        "region": self.region_name,
        "resources": [self.alarm_arn],
        "ingestion-time": now.timestamp(),
        "detail": {
            "alarmName": self.name,
            "state": {"value": state_value, "reason": reason, "timestamp": _timestamp(now)},
            "previousState": previous,
        },
    }
    bus = models.events_backends[account][self.region_name].describe_event_bus("default")
    for rule in list(bus.rules.values()):
        rule.send_to_targets(copy.deepcopy(event))


cloudwatch_models.Alarm.update_state = update_state

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main(sys.argv[1:]))
