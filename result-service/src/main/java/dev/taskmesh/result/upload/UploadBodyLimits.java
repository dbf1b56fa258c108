package dev.taskmesh.result.upload;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Keeps service-support's JSON body limit (1 MiB by default) off the upload endpoints. An agent may upload
 * {@code result.json} as {@code application/json}; that body is a file limited by {@code taskmesh.results.max-file-size},
 * never parsed as a request, so the JSON limit must not cut it.
 */
@Configuration(proxyBeanMethods = false)
class UploadBodyLimits {

    /** Bean name of the filter registration declared by {@code ServiceSupportConfiguration}. */
    static final String JSON_LIMIT_FILTER = "jsonBodyLimitFilter";

    private static final PathPattern UPLOADS = PathPatternParser.defaultInstance
            .parse("/api/v1/tasks/{taskId}/attempts/**");

    @Bean
    static BeanPostProcessor skipJsonLimitOnUploads() {
        return new BeanPostProcessor() {
            @Override
            @SuppressWarnings("unchecked")
            public Object postProcessBeforeInitialization(Object bean, String beanName) {
                if (JSON_LIMIT_FILTER.equals(beanName) && bean instanceof FilterRegistrationBean<?> registration) {
                    var filters = (FilterRegistrationBean<Filter>) registration;
                    filters.setFilter(new ExceptUploads(filters.getFilter()));
                }
                return bean;
            }
        };
    }

    static boolean isUpload(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return UPLOADS.matches(PathContainer.parsePath(path));
    }

    /** Runs the wrapped filter on every request but uploads. */
    private static final class ExceptUploads implements Filter {

        private final Filter delegate;

        ExceptUploads(Filter delegate) {
            this.delegate = delegate;
        }

        @Override
        public void init(FilterConfig config) throws ServletException {
            delegate.init(config);
        }

        @Override
        public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                throws IOException, ServletException {
            if (request instanceof HttpServletRequest http && isUpload(http)) {
                chain.doFilter(request, response);
            } else {
                delegate.doFilter(request, response, chain);
            }
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }
    }
}
