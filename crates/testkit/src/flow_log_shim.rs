//! What moto 5.1.22 gets wrong of VPC flow logs to S3, answered by the proxy: `CreateFlowLogs`
//! with an S3 destination that has a key prefix (`arn:aws:s3:::bucket/flow-logs`, which AWS
//! accepts: "You can also specify a subfolder in the bucket") fails there, because moto looks up
//! a bucket named `bucket/flow-logs`. The shim forwards the request with the bucket's ARN alone,
//! records what was sent, and puts the prefix back in `DescribeFlowLogs` answers. It checks none
//! of AWS's rules; the prefix is tested on the request side (what groundwork sent, in
//! [`FlowLogShim::seen`]) and read back as sent.
//!
//! - <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html>
//! - <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html>
//!
//! Enabled with [`crate::ProxyConfig::flow_logs`]; every other request goes to moto unchanged.

use std::collections::BTreeMap;

/// The S3 ARNs sent with a prefix (bucket ARN → as sent), and every CreateFlowLogs request's
/// parameters, decoded.
#[derive(Debug, Default)]
pub(crate) struct FlowLogShim {
    prefixed: BTreeMap<String, String>,
    /// The parameters of every CreateFlowLogs the shim saw, in order.
    pub(crate) seen: Vec<BTreeMap<String, String>>,
}

/// Whether the shim looks at `operation` of `service`.
pub(crate) fn applies(service: &str, operation: &str) -> bool {
    service == "ec2" && matches!(operation, "CreateFlowLogs" | "DescribeFlowLogs")
}

pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) =>
            {
                out.push(b);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl FlowLogShim {
    /// A CreateFlowLogs body to forward: the same, but an S3 destination without its prefix.
    pub(crate) fn request(&mut self, body: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(body);
        let mut params = BTreeMap::new();
        let parts: Vec<String> = text
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                let value = decode(v);
                params.insert(k.to_owned(), value.clone());
                if k == "LogDestination"
                    && let Some(rest) = value.strip_prefix("arn:aws:s3:::")
                    && let Some((bucket, _)) = rest.split_once('/')
                {
                    let bare = format!("arn:aws:s3:::{bucket}");
                    self.prefixed.insert(bare.clone(), value.clone());
                    return format!("{k}={}", encode(&bare));
                }
                kv.to_owned()
            })
            .collect();
        self.seen.push(params);
        parts.join("&").into_bytes()
    }

    /// A DescribeFlowLogs answer with the prefixes put back (and its length fixed).
    pub(crate) fn answer(&self, answer: Vec<u8>) -> Vec<u8> {
        let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else { return answer };
        let (head, body) = (String::from_utf8_lossy(&answer[..split]).into_owned(), &answer[split + 4..]);
        let mut text = String::from_utf8_lossy(body).into_owned();
        for (bare, full) in &self.prefixed {
            text = text.replace(
                &format!("<logDestination>{bare}</logDestination>"),
                &format!("<logDestination>{full}</logDestination>"),
            );
        }
        crate::proxy::message(&head, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_taken_off_the_request_and_put_back_in_the_answer() {
        let mut shim = FlowLogShim::default();
        let sent = shim
            .request(b"Action=CreateFlowLogs&LogDestination=arn%3Aaws%3As3%3A%3A%3Alogs%2Fflow-logs&TrafficType=ALL");
        assert_eq!(
            String::from_utf8(sent).unwrap(),
            "Action=CreateFlowLogs&LogDestination=arn%3Aaws%3As3%3A%3A%3Alogs&TrafficType=ALL"
        );
        assert_eq!(shim.seen[0]["LogDestination"], "arn:aws:s3:::logs/flow-logs");
        let answer =
            b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\n<logDestination>arn:aws:s3:::logs</logDestination>".to_vec();
        let back = String::from_utf8(shim.answer(answer)).unwrap();
        assert!(back.ends_with("<logDestination>arn:aws:s3:::logs/flow-logs</logDestination>"), "{back}");
        assert!(back.contains("Content-Length: 60\r\n"), "{back}");
    }
}
