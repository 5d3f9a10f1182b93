package dev.pier.sdktest;

import com.alibaba.fastjson.JSON;
import com.alibaba.fastjson.JSONObject;
import com.aliyun.openservices.eas.predict.http.HttpConfig;
import com.aliyun.openservices.eas.predict.http.PredictClient;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives the official EAS Java SDK (com.aliyun.openservices.eas:eas-sdk, unchanged) the way its
 * README shows (PredictClient + HttpConfig, setToken/setEndpoint/setModelName or
 * setDirectEndpoint), and prints one JSON object per line for test/sdk/java/java-sdk.test.ts.
 *
 * <p>Usage: {@code java -jar client.jar <scenario> --service S --token T (--endpoint host:port |
 * --direct host:port) [--count N] [--threads N] [--gate-at N] [--size BYTES]}
 *
 * <ul>
 *   <li>{@code predict}: N calls, alternating predict(String) and predict(byte[]).
 *   <li>{@code wrong-token}: one call expected to fail; prints the error the SDK gives.
 *   <li>{@code load}: N calls on T threads (one child client each); calls from index
 *       {@code --gate-at} on wait until a line {@code resume} arrives on stdin, so the test can
 *       act (kill an instance) while calls are still to come.
 *   <li>{@code large}: one call with a body of {@code --size} bytes; compares the echo.
 * </ul>
 */
public final class Main {
  private Main() {}

  private static SdkRetries retries;

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) usage("no scenario");
    Map<String, String> args = parseArgs(argv);
    retries = SdkRetries.install();
    Out.line("event", "start", "scenario", argv[0], "sdkVersion", sdkVersion());
    PredictClient client = newClient(args);
    int code;
    try {
      switch (argv[0]) {
        case "predict" -> code = predict(client, args);
        case "wrong-token" -> code = wrongToken(client);
        case "load" -> code = load(client, args);
        case "large" -> code = large(client, args);
        default -> {
          usage("unknown scenario " + argv[0]);
          code = 2;
        }
      }
    } finally {
      client.shutdown();
    }
    // The SDK's discovery and failover threads never end on their own.
    System.exit(code);
  }

  private static PredictClient newClient(Map<String, String> args) {
    HttpConfig config = new HttpConfig();
    config.setReadTimeout(Integer.parseInt(args.getOrDefault("read-timeout", "60000")));
    config.setConnectTimeout(5000);
    PredictClient client = new PredictClient(config);
    client.setToken(required(args, "token"));
    client.setModelName(required(args, "service"));
    if (args.containsKey("direct")) client.setDirectEndpoint(args.get("direct"));
    else client.setEndpoint(required(args, "endpoint"));
    return client;
  }

  private static int predict(PredictClient client, Map<String, String> args) {
    int count = Integer.parseInt(args.getOrDefault("count", "1"));
    int failed = 0;
    for (int i = 0; i < count; i++) {
      String body = "hello from java " + i;
      HashMap<String, String> headers = new HashMap<>();
      client.setTracing(headers);
      try {
        String response =
            i % 2 == 0
                ? client.predict(body)
                : new String(client.predict(body.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        Out.line("event", "call", "i", i, "ok", true, "sent", body, "response", response,
            "pierInstance", header(headers, "x-pier-instance"));
      } catch (Exception e) {
        failed++;
        Out.line("event", "call", "i", i, "ok", false, "errorCode", client.getErrorCode(),
            "message", e.getMessage());
      }
    }
    Out.line("event", "summary", "ok", count - failed, "failed", failed, "sdkRetries", retries.count());
    return 0;
  }

  private static int wrongToken(PredictClient client) {
    try {
      String response = client.predict("should not pass");
      Out.line("event", "call", "ok", true, "response", response);
      return 1;
    } catch (Exception e) {
      // eas-sdk 2.0.3 retries any failure (retryCount 3 → 4 attempts), then throws a plain
      // Exception whose message is "URL: <url>, <body>"; the status is kept in getErrorCode().
      Out.line("event", "error", "errorCode", client.getErrorCode(), "errorMessage",
          client.getErrorMessage(), "exception", e.getClass().getName(), "message", e.getMessage(),
          "sdkRetries", retries.count());
      return 0;
    }
  }

  private static int load(PredictClient client, Map<String, String> args) throws Exception {
    int count = Integer.parseInt(args.getOrDefault("count", "200"));
    int threads = Integer.parseInt(args.getOrDefault("threads", "4"));
    int gateAt = Integer.parseInt(args.getOrDefault("gate-at", String.valueOf(count)));
    CountDownLatch resume = new CountDownLatch(1);
    Thread stdin = new Thread(() -> readResume(System.in, resume), "stdin");
    stdin.setDaemon(true);
    stdin.start();

    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    Map<String, AtomicInteger> byInstance = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> afterResume = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> paths = new ConcurrentHashMap<>();
    List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      PredictClient child = client.createChlidClient();
      Thread w = new Thread(() -> {
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
          boolean gated = i >= gateAt;
          if (gated && !await(resume)) {
            errors.add("call " + i + ": no resume on stdin within 120 s");
            continue;
          }
          try {
            String response = child.predict("call " + i);
            JSONObject echo = JSON.parseObject(response);
            String instance = echo.getString("instance");
            byInstance.computeIfAbsent(instance, k -> new AtomicInteger()).incrementAndGet();
            paths.computeIfAbsent(echo.getString("path"), k -> new AtomicInteger()).incrementAndGet();
            if (gated) afterResume.computeIfAbsent(instance, k -> new AtomicInteger()).incrementAndGet();
            ok.incrementAndGet();
          } catch (Exception e) {
            if (errors.size() < 20) errors.add("call " + i + ": " + child.getErrorCode() + " " + e.getMessage());
          }
          int d = done.incrementAndGet();
          if (d % 10 == 0) Out.line("event", "progress", "done", d);
        }
      }, "worker-" + t);
      w.start();
      workers.add(w);
    }
    for (Thread w : workers) w.join();
    Out.line("event", "summary", "ok", ok.get(), "failed", count - ok.get(), "byInstance", counts(byInstance),
        "afterResume", counts(afterResume), "paths", counts(paths), "errors", errors,
        "sdkRetries", retries.count());
    return 0;
  }

  private static int large(PredictClient client, Map<String, String> args) throws Exception {
    int size = Integer.parseInt(args.getOrDefault("size", String.valueOf(10 << 20)));
    // Printable ASCII that the fixture echoes inside a JSON string without escapes.
    byte[] body = new byte[size];
    long x = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      body[i] = (byte) ('a' + (int) ((x >>> 33) % 26));
    }
    long started = System.nanoTime();
    byte[] response = client.predict(body);
    long ms = (System.nanoTime() - started) / 1_000_000;
    JSONObject echo = JSON.parseObject(new String(response, StandardCharsets.UTF_8));
    byte[] echoed = echo.getString("body").getBytes(StandardCharsets.UTF_8);
    Out.line("event", "large", "sent", body.length, "received", echoed.length, "sha256Sent", sha256(body),
        "sha256Received", sha256(echoed), "responseBytes", response.length, "instance", echo.getString("instance"),
        "path", echo.getString("path"), "ms", ms, "sdkRetries", retries.count());
    return 0;
  }

  private static void readResume(InputStream in, CountDownLatch resume) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.trim().equals("resume")) resume.countDown();
      }
    } catch (Exception e) {
      // stdin closed: the gate then times out and the calls are reported as errors
    }
  }

  private static boolean await(CountDownLatch latch) {
    try {
      return latch.await(120, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static Map<String, Integer> counts(Map<String, AtomicInteger> m) {
    Map<String, Integer> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), v.get()));
    return out;
  }

  private static String header(Map<String, String> headers, String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) return e.getValue();
    }
    return null;
  }

  private static String sha256(byte[] data) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (byte b : MessageDigest.getInstance("SHA-256").digest(data)) sb.append(String.format("%02x", b));
    return sb.toString();
  }

  /** The eas-sdk version actually on the classpath (from its jar's pom.properties). */
  private static String sdkVersion() {
    String res = "/META-INF/maven/com.aliyun.openservices.eas/eas-sdk/pom.properties";
    try (InputStream in = Main.class.getResourceAsStream(res)) {
      if (in == null) return "unknown";
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 1; i < argv.length; i += 2) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) usage("bad argument " + argv[i]);
      args.put(argv[i].substring(2), argv[i + 1]);
    }
    return args;
  }

  private static String required(Map<String, String> args, String name) {
    String v = args.get(name);
    if (v == null) usage("missing --" + name);
    return v;
  }

  private static void usage(String why) {
    System.err.println("eas-java-sdk-client: " + why);
    System.err.println("usage: <predict|wrong-token|load|large> --service S --token T"
        + " (--endpoint host:port | --direct host:port) [--count N] [--threads N] [--gate-at N] [--size BYTES]");
    System.exit(2);
  }
}
