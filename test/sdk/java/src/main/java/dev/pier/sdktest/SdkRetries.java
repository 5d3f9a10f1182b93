package dev.pier.sdktest;

import com.aliyun.openservices.eas.predict.http.PredictClient;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;

/**
 * Counts the SDK's own retries. PredictClient.predict(byte[]) logs each failed attempt that it
 * will retry at DEBUG as "URL: <url>, <error>" (and the last one at ERROR) through
 * commons-logging, which picks log4j 1.2 from the SDK's dependencies.
 */
final class SdkRetries extends AppenderSkeleton {
  private final AtomicInteger retried = new AtomicInteger();

  static SdkRetries install() {
    SdkRetries counter = new SdkRetries();
    Logger logger = Logger.getLogger(PredictClient.class);
    logger.setLevel(Level.DEBUG);
    logger.setAdditivity(false);
    logger.addAppender(counter);
    return counter;
  }

  int count() {
    return retried.get();
  }

  @Override
  protected void append(LoggingEvent event) {
    // Compared by value: commons-logging logs with log4j's Priority.DEBUG, another instance than Level.DEBUG.
    if (event.getLevel().toInt() == Level.DEBUG_INT && String.valueOf(event.getMessage()).startsWith("URL: ")) {
      retried.incrementAndGet();
    }
  }

  @Override
  public void close() {}

  @Override
  public boolean requiresLayout() {
    return false;
  }
}
