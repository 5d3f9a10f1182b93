package dev.pier.sdktest;

import com.alibaba.fastjson.JSON;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON object per line on stdout; the SDK's own logging goes to stderr or files. */
final class Out {
  private Out() {}

  /** {@code line("event", "call", "ok", true)} prints {"event":"call","ok":true}. */
  static synchronized void line(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) m.put(String.valueOf(keyValues[i]), keyValues[i + 1]);
    System.out.println(JSON.toJSONString(m));
    System.out.flush();
  }
}
